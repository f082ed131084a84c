"""What a PostgreSQL query may call: allow-lists of built-in functions and operators.

A name is allowed because it is known to have no effect outside the query's
own result: it reads no server file, starts no connection, runs no SQL given
as a string, changes no setting, sequence, lock or other session, and writes
nothing.  Anything absent is refused, including every function outside
``pg_catalog`` (a user-defined function can do anything) unless the user
names it in ``extra_functions``.  The list is data, kept apart from the walker
(:mod:`tools.db.pg_walk`) so it can be read and reviewed on its own; the test
suite checks each name against ``pg_proc`` (it must exist, and only the few in
:data:`VOLATILE_ALLOWED` may be volatile).

Deliberately absent, among others: ``pg_read_file``, ``pg_read_binary_file``,
``pg_ls_*``, ``pg_stat_file``, ``lo_*`` (server files); ``dblink*``,
``query_to_xml*``, ``table_to_xml*``, ``cursor_to_xml*``, ``ts_rewrite``,
``ts_stat``, ``crosstab*`` (SQL given as a string); ``set_config``,
``pg_reload_conf``, ``pg_rotate_logfile`` (configuration);
``pg_terminate_backend``, ``pg_cancel_backend``, ``pg_advisory_*``,
``pg_notify`` (other sessions); ``nextval``, ``setval``, ``txid_current``,
``pg_current_xact_id`` (writes); ``pg_sleep*`` (time is bounded anyway).
"""

from __future__ import annotations


def words(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text``: how the lists below are written."""
    return frozenset(text.split())


AGGREGATES = words(
    """
    count sum avg min max string_agg array_agg json_agg jsonb_agg json_agg_strict jsonb_agg_strict
    json_object_agg jsonb_object_agg json_object_agg_strict jsonb_object_agg_strict json_object_agg_unique
    jsonb_object_agg_unique json_object_agg_unique_strict jsonb_object_agg_unique_strict
    bool_and bool_or every bit_and bit_or bit_xor xmlagg any_value range_agg range_intersect_agg
    corr covar_pop covar_samp regr_avgx regr_avgy regr_count regr_intercept regr_r2 regr_slope regr_sxx
    regr_sxy regr_syy stddev stddev_pop stddev_samp variance var_pop var_samp mode percentile_cont
    percentile_disc
    """
)
WINDOW = words("row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value")
MATH = words(
    """
    abs cbrt ceil ceiling degrees div exp factorial floor gcd lcm ln log log10 min_scale mod pi power pow
    radians round scale sign sqrt trim_scale trunc width_bucket random random_normal erf erfc
    acos acosd asin asind atan atand atan2 atan2d cos cosd cot cotd sin sind tan tand sinh cosh tanh
    asinh acosh atanh
    """
)
STRINGS = words(
    """
    ascii bit_length btrim char_length character_length chr concat concat_ws format initcap left length
    lower lpad ltrim md5 normalize is_normalized octet_length overlay parse_ident position quote_ident
    quote_literal quote_nullable regexp_count regexp_instr regexp_like regexp_match regexp_matches
    regexp_replace regexp_split_to_array regexp_split_to_table regexp_substr repeat replace reverse right
    rpad rtrim split_part starts_with string_to_array string_to_table strpos substr substring to_ascii
    to_hex to_bin to_oct translate unistr upper casefold similar_to_escape similar_escape like_escape
    convert convert_from convert_to encode decode get_bit get_byte bit_count sha224 sha256 sha384 sha512
    crc32 crc32c pg_collation_for pg_client_encoding to_char to_number to_date to_timestamp
    """
)
DATES = words(
    """
    age clock_timestamp date_add date_bin date_part date_subtract date_trunc extract isfinite
    justify_days justify_hours justify_interval make_date make_interval make_time make_timestamp
    make_timestamptz now statement_timestamp timeofday transaction_timestamp timezone overlaps
    """
)
JSON = words(
    """
    to_json to_jsonb array_to_json row_to_json json_build_array jsonb_build_array json_build_object
    jsonb_build_object json_object jsonb_object json_array_elements jsonb_array_elements
    json_array_elements_text jsonb_array_elements_text json_array_length jsonb_array_length json_each
    jsonb_each json_each_text jsonb_each_text json_extract_path jsonb_extract_path json_extract_path_text
    jsonb_extract_path_text json_object_keys jsonb_object_keys json_populate_record jsonb_populate_record
    jsonb_populate_record_valid json_populate_recordset jsonb_populate_recordset json_to_record
    jsonb_to_record json_to_recordset jsonb_to_recordset json_strip_nulls jsonb_strip_nulls jsonb_set
    jsonb_set_lax jsonb_insert jsonb_pretty json_typeof jsonb_typeof jsonb_path_exists jsonb_path_match
    jsonb_path_query jsonb_path_query_array jsonb_path_query_first jsonb_path_exists_tz
    jsonb_path_match_tz jsonb_path_query_tz jsonb_path_query_array_tz jsonb_path_query_first_tz
    """
)
ARRAYS_AND_SETS = words(
    """
    array_append array_cat array_dims array_fill array_length array_lower array_ndims array_position
    array_positions array_prepend array_remove array_replace array_reverse array_sample array_shuffle
    array_sort array_to_string array_upper cardinality trim_array unnest generate_series generate_subscripts
    num_nonnulls num_nulls
    """
)
RANGES = words(
    """
    lower upper isempty lower_inc upper_inc lower_inf upper_inf range_merge multirange
    int4range int8range numrange tsrange tstzrange daterange
    int4multirange int8multirange nummultirange tsmultirange tstzmultirange datemultirange
    """
)
TEXT_SEARCH = words(
    """
    array_to_tsvector get_current_ts_config numnode plainto_tsquery phraseto_tsquery websearch_to_tsquery
    querytree setweight strip to_tsquery to_tsvector json_to_tsvector jsonb_to_tsvector ts_delete ts_filter
    ts_headline ts_rank ts_rank_cd tsquery_phrase tsvector_to_array
    """
)
XML = words(
    """
    xmlcomment xmlexists xml_is_well_formed xml_is_well_formed_document
    xml_is_well_formed_content xpath xpath_exists xmltext
    """
)
OTHER_TYPES = words(
    """
    gen_random_uuid uuidv4 uuidv7 uuid_extract_timestamp uuid_extract_version
    enum_first enum_last enum_range
    abbrev broadcast family host hostmask inet_merge inet_same_family masklen netmask network set_masklen
    macaddr8_set7bit
    area center diameter height isclosed isopen npoints pclose popen radius width box bound_box circle
    line lseg path point polygon
    text int2 int4 int8 float4 float8 numeric bool date time timetz timestamp timestamptz interval
    varchar bpchar name char oid xid regclass money bit varbit xml cidr macaddr macaddr8 textlen like notlike
    slope diagonal getdatabaseencoding
    """
)
CATALOG_INFO = words(
    """
    current_database current_schema current_schemas current_setting version pg_typeof format_type
    col_description obj_description shobj_description pg_get_viewdef pg_get_indexdef pg_get_constraintdef
    pg_get_expr pg_get_functiondef pg_get_function_arguments pg_get_function_result
    pg_get_function_identity_arguments pg_get_triggerdef pg_get_ruledef pg_get_serial_sequence
    pg_get_userbyid pg_get_keywords pg_get_statisticsobjdef pg_get_partkeydef pg_describe_object
    pg_table_is_visible pg_type_is_visible pg_function_is_visible pg_has_role has_table_privilege
    has_column_privilege has_any_column_privilege has_schema_privilege has_database_privilege
    has_function_privilege has_sequence_privilege to_regclass to_regtype to_regtypemod to_regproc
    to_regprocedure to_regnamespace to_regrole to_regoper to_regoperator to_regcollation pg_size_pretty
    pg_size_bytes pg_column_size pg_column_compression pg_relation_size pg_total_relation_size
    pg_table_size pg_indexes_size pg_database_size pg_encoding_to_char pg_backend_pid
    pg_postmaster_start_time pg_conf_load_time pg_is_in_recovery pg_jit_available pg_input_is_valid
    pg_input_error_info system_user
    """
)

READ_FUNCTIONS = (
    AGGREGATES | WINDOW | MATH | STRINGS | DATES | JSON | ARRAYS_AND_SETS | RANGES | TEXT_SEARCH | XML
    | OTHER_TYPES | CATALOG_INFO
)  # fmt: skip
"""Built-in (``pg_catalog``) functions a read-only query may call."""

SEQUENCE_FUNCTIONS = words("nextval setval currval lastval")
"""Added for ``db_execute`` (a write the user approves): sequences, e.g. in ``DEFAULT nextval(...)``."""

WRITING_FUNCTIONS = words("nextval setval")
"""Refused in ``db_query`` with the message that points to ``db_execute``."""

VOLATILE_ALLOWED = words(
    """
    random random_normal gen_random_uuid uuidv4 uuidv7 clock_timestamp timeofday
    pg_relation_size pg_total_relation_size pg_table_size pg_indexes_size pg_database_size pg_is_in_recovery
    pg_jit_available
    """
)
"""The only allowed functions PostgreSQL marks volatile: fresh values, or sizes and states read, nothing more."""

NEWER = {
    **dict.fromkeys(
        words(
            """
            any_value array_sample array_shuffle date_add date_subtract erf erfc json_agg_strict jsonb_agg_strict
            json_object_agg_strict jsonb_object_agg_strict json_object_agg_unique jsonb_object_agg_unique
            json_object_agg_unique_strict jsonb_object_agg_unique_strict pg_input_error_info pg_input_is_valid
            random_normal system_user xmltext
            """
        ),
        16,
    ),
    **dict.fromkeys(
        words("to_bin to_oct to_regtypemod uuid_extract_timestamp uuid_extract_version jsonb_populate_record_valid"),
        17,
    ),
    **dict.fromkeys(words("array_reverse array_sort casefold crc32 crc32c uuidv4 uuidv7"), 18),
}
"""Allowed functions younger than PostgreSQL 15, with the major version that added them."""

OPERATORS = words(
    """
    + - * / % ^ |/ ||/ @ & | # ~ << >> = <> < > <= >= || ~~ ~~* !~~ !~~* ~* !~ !~* -> ->> #> #>> #- @> <@
    ? ?| ?& && @@ @@@ <-> <<| |>> &< &> &<| |&> ?# ?- ?-| ?|| @-@ <^ >^ ## ~= <<= >>= -|- @? ^@ !!
    *= *<> *< *> *<= *>= ~<~ ~<=~ ~>~ ~>=~
    """
)
"""Operator symbols PostgreSQL defines in ``pg_catalog``.

The server picks the operator by its operand types; on built-in types the
function behind it is built-in and none is volatile.  An extension may define
the same symbol on its own types (hstore's ``->``, PostGIS's ``&&``): such an
operator belongs to the schema like its views do, and runs under the same
read-only transaction and role.  An operator symbol outside this set, or one
qualified with a schema other than ``pg_catalog``, is refused.
"""

BETWEEN_NAMES = frozenset({"BETWEEN", "NOT BETWEEN", "BETWEEN SYMMETRIC", "NOT BETWEEN SYMMETRIC"})
"""The parser's names for ``BETWEEN`` expressions (rewritten into ``>=`` and ``<=``)."""

TABLESAMPLE_METHODS = frozenset({"bernoulli", "system"})

__all__ = [
    "BETWEEN_NAMES",
    "NEWER",
    "OPERATORS",
    "READ_FUNCTIONS",
    "SEQUENCE_FUNCTIONS",
    "TABLESAMPLE_METHODS",
    "VOLATILE_ALLOWED",
    "WRITING_FUNCTIONS",
    "words",
]
