"""The schema and word lists behind :mod:`tools.sample_db` (Chinook's shape, invented names)."""

from __future__ import annotations

SCHEMA = """
CREATE TABLE Artist (
    ArtistId INTEGER NOT NULL, Name NVARCHAR(120),
    CONSTRAINT PK_Artist PRIMARY KEY (ArtistId)
);
CREATE TABLE Album (
    AlbumId INTEGER NOT NULL, Title NVARCHAR(160) NOT NULL, ArtistId INTEGER NOT NULL,
    CONSTRAINT PK_Album PRIMARY KEY (AlbumId),
    FOREIGN KEY (ArtistId) REFERENCES Artist (ArtistId) ON DELETE NO ACTION ON UPDATE NO ACTION
);
CREATE TABLE Genre (
    GenreId INTEGER NOT NULL, Name NVARCHAR(120),
    CONSTRAINT PK_Genre PRIMARY KEY (GenreId)
);
CREATE TABLE MediaType (
    MediaTypeId INTEGER NOT NULL, Name NVARCHAR(120),
    CONSTRAINT PK_MediaType PRIMARY KEY (MediaTypeId)
);
CREATE TABLE Track (
    TrackId INTEGER NOT NULL, Name NVARCHAR(200) NOT NULL, AlbumId INTEGER, MediaTypeId INTEGER NOT NULL,
    GenreId INTEGER, Composer NVARCHAR(220), Milliseconds INTEGER NOT NULL, Bytes INTEGER,
    UnitPrice NUMERIC(10,2) NOT NULL,
    CONSTRAINT PK_Track PRIMARY KEY (TrackId),
    FOREIGN KEY (AlbumId) REFERENCES Album (AlbumId) ON DELETE NO ACTION ON UPDATE NO ACTION,
    FOREIGN KEY (GenreId) REFERENCES Genre (GenreId) ON DELETE NO ACTION ON UPDATE NO ACTION,
    FOREIGN KEY (MediaTypeId) REFERENCES MediaType (MediaTypeId) ON DELETE NO ACTION ON UPDATE NO ACTION
);
CREATE TABLE Playlist (
    PlaylistId INTEGER NOT NULL, Name NVARCHAR(120),
    CONSTRAINT PK_Playlist PRIMARY KEY (PlaylistId)
);
CREATE TABLE PlaylistTrack (
    PlaylistId INTEGER NOT NULL, TrackId INTEGER NOT NULL,
    CONSTRAINT PK_PlaylistTrack PRIMARY KEY (PlaylistId, TrackId),
    FOREIGN KEY (PlaylistId) REFERENCES Playlist (PlaylistId) ON DELETE NO ACTION ON UPDATE NO ACTION,
    FOREIGN KEY (TrackId) REFERENCES Track (TrackId) ON DELETE NO ACTION ON UPDATE NO ACTION
);
CREATE TABLE Employee (
    EmployeeId INTEGER NOT NULL, LastName NVARCHAR(20) NOT NULL, FirstName NVARCHAR(20) NOT NULL,
    Title NVARCHAR(30), ReportsTo INTEGER, BirthDate DATETIME, HireDate DATETIME, Address NVARCHAR(70),
    City NVARCHAR(40), State NVARCHAR(40), Country NVARCHAR(40), PostalCode NVARCHAR(10), Phone NVARCHAR(24),
    Fax NVARCHAR(24), Email NVARCHAR(60),
    CONSTRAINT PK_Employee PRIMARY KEY (EmployeeId),
    FOREIGN KEY (ReportsTo) REFERENCES Employee (EmployeeId) ON DELETE NO ACTION ON UPDATE NO ACTION
);
CREATE TABLE Customer (
    CustomerId INTEGER NOT NULL, FirstName NVARCHAR(40) NOT NULL, LastName NVARCHAR(20) NOT NULL,
    Company NVARCHAR(80), Address NVARCHAR(70), City NVARCHAR(40), State NVARCHAR(40), Country NVARCHAR(40),
    PostalCode NVARCHAR(10), Phone NVARCHAR(24), Fax NVARCHAR(24), Email NVARCHAR(60) NOT NULL,
    SupportRepId INTEGER,
    CONSTRAINT PK_Customer PRIMARY KEY (CustomerId),
    FOREIGN KEY (SupportRepId) REFERENCES Employee (EmployeeId) ON DELETE NO ACTION ON UPDATE NO ACTION
);
CREATE TABLE Invoice (
    InvoiceId INTEGER NOT NULL, CustomerId INTEGER NOT NULL, InvoiceDate DATETIME NOT NULL,
    BillingAddress NVARCHAR(70), BillingCity NVARCHAR(40), BillingState NVARCHAR(40),
    BillingCountry NVARCHAR(40), BillingPostalCode NVARCHAR(10), Total NUMERIC(10,2) NOT NULL,
    CONSTRAINT PK_Invoice PRIMARY KEY (InvoiceId),
    FOREIGN KEY (CustomerId) REFERENCES Customer (CustomerId) ON DELETE NO ACTION ON UPDATE NO ACTION
);
CREATE TABLE InvoiceLine (
    InvoiceLineId INTEGER NOT NULL, InvoiceId INTEGER NOT NULL, TrackId INTEGER NOT NULL,
    UnitPrice NUMERIC(10,2) NOT NULL, Quantity INTEGER NOT NULL,
    CONSTRAINT PK_InvoiceLine PRIMARY KEY (InvoiceLineId),
    FOREIGN KEY (InvoiceId) REFERENCES Invoice (InvoiceId) ON DELETE NO ACTION ON UPDATE NO ACTION,
    FOREIGN KEY (TrackId) REFERENCES Track (TrackId) ON DELETE NO ACTION ON UPDATE NO ACTION
);
CREATE INDEX IFK_AlbumArtistId ON Album (ArtistId);
CREATE INDEX IFK_CustomerSupportRepId ON Customer (SupportRepId);
CREATE INDEX IFK_EmployeeReportsTo ON Employee (ReportsTo);
CREATE INDEX IFK_InvoiceCustomerId ON Invoice (CustomerId);
CREATE INDEX IFK_InvoiceLineInvoiceId ON InvoiceLine (InvoiceId);
CREATE INDEX IFK_InvoiceLineTrackId ON InvoiceLine (TrackId);
CREATE INDEX IFK_PlaylistTrackPlaylistId ON PlaylistTrack (PlaylistId);
CREATE INDEX IFK_PlaylistTrackTrackId ON PlaylistTrack (TrackId);
CREATE INDEX IFK_TrackAlbumId ON Track (AlbumId);
CREATE INDEX IFK_TrackGenreId ON Track (GenreId);
CREATE INDEX IFK_TrackMediaTypeId ON Track (MediaTypeId);
"""

# (name, weight): how likely an artist plays it; GenreId is the position, from 1.
GENRES = (
    ("Rock", 30), ("Jazz", 5), ("Metal", 9), ("Alternative & Punk", 8), ("Rock And Roll", 1), ("Blues", 3),
    ("Latin", 10), ("Reggae", 1), ("Pop", 2), ("Soundtrack", 1), ("Bossa Nova", 1), ("Easy Listening", 1),
    ("Heavy Metal", 1), ("R&B/Soul", 2), ("Electronica/Dance", 1), ("World", 1), ("Hip Hop/Rap", 1),
    ("Science Fiction", 1), ("TV Shows", 3), ("Sci Fi & Fantasy", 1), ("Drama", 1), ("Comedy", 1),
    ("Alternative", 1), ("Classical", 4), ("Opera", 1),
)  # fmt: skip
MEDIA_TYPES = ("MPEG audio file", "Protected AAC audio file", "Protected MPEG-4 video file",
               "Purchased AAC audio file", "AAC audio file")  # fmt: skip
# (name, genres it draws from (empty: every audio track), share of those tracks it holds)
PLAYLISTS = (
    ("Music", (), 0.5), ("Movies", (), 0.0), ("TV Shows", ("TV Shows", "Drama", "Sci Fi & Fantasy",
    "Science Fiction", "Comedy"), 1.0), ("Audiobooks", (), 0.0), ("90s Music", (), 0.2),
    ("Music Videos", ("Rock",), 0.001), ("Brazilian Music", ("Latin", "Bossa Nova"), 0.1),
    ("Classical", ("Classical", "Opera"), 0.9), ("Classical 101 - Deep Cuts", ("Classical",), 0.2),
    ("Classical 101 - Next Steps", ("Classical",), 0.2), ("Classical 101 - The Basics", ("Classical",), 0.2),
    ("Grunge", ("Alternative & Punk", "Alternative"), 0.05), ("Heavy Metal Classic", ("Metal", "Heavy Metal"), 0.08),
    ("On-The-Go 1", ("Rock",), 0.002), ("Road Trip", ("Rock", "Rock And Roll", "Blues"), 0.06),
    ("Late Night Jazz", ("Jazz", "Blues"), 0.4), ("Workout", ("Electronica/Dance", "Hip Hop/Rap", "Pop"), 0.5),
    ("Rainy Day", ("Easy Listening", "Bossa Nova", "Soundtrack"), 0.5),
)  # fmt: skip


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words("""Ana Andrew Astrid Bjorn Camille Carlos Chen Daan Diego Eduardo Elena Emma Fatima Felix François
Frank Hannah Helena Hugo Isabel Jack Jakob James Jana Joana João Julia Kara Kenji Lars Laura Leonie Lucas Luis
Madalena Manoj Marc Maria Mark Martha Mateo Michelle Niamh Nora Olivia Omar Patrick Paula Priya Rafael Robert
Roberto Sara Sofia Steve Tim Tomas Victor Wei Yuki Zoe""")
LAST_NAMES = _words("""Almeida Andersen Bernard Brooks Costa Dubois Fernandes García Gordon Gruber Hansen Harris Hughes
Jensen Kovács Kumar Larsen Lefebvre Martins Mercier Meyer Miller Mitchell Moreau Murray Nielsen Novak O'Reilly
Park Peeters Peterson Philips Ramos Rossi Sánchez Schneider Schröder Silva Smith Sullivan Tanaka Taylor Verhoeven
Walker Wójcik Zimmermann Brown Chase Dunn Ferreira Girard Holmes Kowalski Lindqvist Müller Nakamura Olsen Rocha""")
ADJECTIVES = _words("""Electric Silent Golden Broken Wild Lonely Crimson Velvet Midnight Burning Frozen Hidden
Endless Blue Black Silver Distant Sweet Bitter Restless Hollow Neon Paper Iron Crystal Sacred Savage Gentle Young
Ancient Lucky Cosmic Northern Southern Falling Rising Lost Open Quiet Radiant Scarlet Shining Strange Tender
Wicked Brave Little Secret Painted Rolling""")
NOUNS = _words("""Heart Stone River Dream Shadow Fire Light Road Star Wave Storm Ghost Angel Rose Bell Tiger Raven Hawk
Diamond Mirror Garden Window Engine Signal Thunder Machine Planet Rocket Desert Ocean Island Mountain Forest Valley
Train Bridge Tower Castle Crown Flower Feather Stranger Lover Love Kiss Rain Sun Moon Night Day Summer Winter Song
Drum Guitar Piano Voice Whisper Horizon Comet Lantern Harbor Anchor Arrow Spark Flame Circle Secret Cloud Highway
Runner Dancer Dreamer Rebel Soldier Sailor Hunter Prophet Thief""")
VERBS = _words("""Follow Chase Hold Call Break Catch Save Find Cross Burn Remember Leave Free Wake Touch Carry Meet
Feel Ride Kiss""")
PLACES = (
    "the Royal Hall", "the Harbour Arena", "the Velvet Lounge", "Riverside Park", "the Old Opera House",
    "the Palace Theatre", "the Northern Festival", "the Lighthouse", "the Blue Room", "the Summer Fair",
)  # fmt: skip

# The customers' places, one per customer (59), skewed towards a few countries as in Chinook:
# (city, state, country, postal code, phone prefix).
CITIES = (
    ("New York", "NY", "USA", "10012-2612", "+1 (212)"), ("Boston", "MA", "USA", "2113", "+1 (617)"),
    ("Chicago", "IL", "USA", "60611", "+1 (312)"), ("Seattle", "WA", "USA", "98101", "+1 (206)"),
    ("Austin", "TX", "USA", "78701", "+1 (512)"), ("Denver", "CO", "USA", "80202", "+1 (303)"),
    ("Orlando", "FL", "USA", "32801", "+1 (407)"), ("Reno", "NV", "USA", "89503", "+1 (775)"),
    ("Tucson", "AZ", "USA", "85719", "+1 (520)"), ("Salt Lake City", "UT", "USA", "84102", "+1 (801)"),
    ("Mountain View", "CA", "USA", "94040-111", "+1 (650)"), ("Madison", "WI", "USA", "53703", "+1 (608)"),
    ("Fort Worth", "TX", "USA", "76110", "+1 (817)"),
    ("Toronto", "ON", "Canada", "M6J 1V1", "+1 (416)"), ("Montréal", "QC", "Canada", "H2G 1A7", "+1 (514)"),
    ("Vancouver", "BC", "Canada", "V6C 1G8", "+1 (604)"), ("Ottawa", "ON", "Canada", "K2P 1L7", "+1 (613)"),
    ("Edmonton", "AB", "Canada", "T6G 2C7", "+1 (780)"), ("Halifax", "NS", "Canada", "B3S 1C5", "+1 (902)"),
    ("Winnipeg", "MB", "Canada", "R3L 2B9", "+1 (204)"), ("Yellowknife", "NT", "Canada", "X1A 1N6", "+1 (867)"),
    ("Paris", None, "France", "75002", "+33 01"), ("Lyon", None, "France", "69002", "+33 04"),
    ("Bordeaux", None, "France", "33000", "+33 05"), ("Dijon", None, "France", "21000", "+33 03"),
    ("Nantes", None, "France", "44000", "+33 02"),
    ("São Paulo", "SP", "Brazil", "01007-010", "+55 (11)"), ("Rio de Janeiro", "RJ", "Brazil", "20040-020",
    "+55 (21)"), ("Brasília", "DF", "Brazil", "71020-677", "+55 (61)"), ("Campinas", "SP", "Brazil",
    "13083-970", "+55 (19)"), ("Porto Alegre", "RS", "Brazil", "90010-000", "+55 (51)"),
    ("Berlin", None, "Germany", "10779", "+49 030"), ("Frankfurt", None, "Germany", "60316", "+49 069"),
    ("Stuttgart", None, "Germany", "70174", "+49 0711"), ("Hamburg", None, "Germany", "20095", "+49 040"),
    ("London", None, "United Kingdom", "SW1V 3EN", "+44 020"), ("Edinburgh", None, "United Kingdom", "EH4 1HH",
    "+44 0131"), ("Manchester", None, "United Kingdom", "M1 1AA", "+44 0161"),
    ("Lisbon", None, "Portugal", "1100-001", "+351 (021)"), ("Porto", None, "Portugal", "4000-001", "+351 (022)"),
    ("Delhi", None, "India", "110017", "+91 011"), ("Bangalore", None, "India", "560001", "+91 080"),
    ("Prague", None, "Czech Republic", "14700", "+420 2"), ("Brno", None, "Czech Republic", "60200", "+420 5"),
    ("Stockholm", None, "Sweden", "11230", "+46 08"), ("Madrid", None, "Spain", "28015", "+34 91"),
    ("Warsaw", None, "Poland", "00-358", "+48 22"), ("Oslo", None, "Norway", "0171", "+47 22"),
    ("Amsterdam", "VV", "Netherlands", "1016", "+31 020"), ("Rome", "RM", "Italy", "00192", "+39 06"),
    ("Dublin", "Dublin", "Ireland", None, "+353 01"), ("Budapest", None, "Hungary", "H-1073", "+36 01"),
    ("Helsinki", None, "Finland", "00530", "+358 09"), ("Copenhagen", None, "Denmark", "1720", "+45 33"),
    ("Santiago", None, "Chile", None, "+56 (0)2"), ("Brussels", None, "Belgium", "1000", "+32 02"),
    ("Vienna", None, "Austria", "1010", "+43 01"), ("Sydney", "NSW", "Australia", "2010", "+61 (02)"),
    ("Buenos Aires", None, "Argentina", "1106", "+54 (0)11"),
)  # fmt: skip

__all__ = ["ADJECTIVES", "CITIES", "FIRST_NAMES", "GENRES", "LAST_NAMES", "MEDIA_TYPES", "NOUNS", "PLACES",
           "PLAYLISTS", "SCHEMA", "VERBS"]  # fmt: skip
