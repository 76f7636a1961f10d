-- mednec extension, version 0.1 (docs/POSTGRESQL.md).
\echo Use "CREATE EXTENSION mednec" to load this file. \quit

-- STABLE, not IMMUTABLE: today() and now() read the transaction's start time, and %terminologies and memberOf()
-- read the value sets of the folder mednec.home names (files that can change, a setting that can change).
CREATE FUNCTION fhirpath(resource jsonb, expression text) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'mednec_fhirpath'
	LANGUAGE C STRICT STABLE PARALLEL SAFE COST 100;

-- The expression's single boolean; NULL for an empty result; an error for anything else.
CREATE FUNCTION fhirpath_bool(resource jsonb, expression text) RETURNS boolean
	AS 'MODULE_PATHNAME', 'mednec_fhirpath_bool'
	LANGUAGE C STRICT STABLE PARALLEL SAFE COST 100;

-- STABLE: the determination depends on the policy files, evidence and knowledge under mednec.home.
CREATE FUNCTION determine(bundle jsonb, policy text, as_of date) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'mednec_determine'
	LANGUAGE C STRICT STABLE PARALLEL SAFE COST 10000;

-- Drop this backend's cached expressions, policies and knowledge (after editing files under mednec.home).
CREATE FUNCTION clear_cache() RETURNS void
	AS 'MODULE_PATHNAME', 'mednec_clear_cache'
	LANGUAGE C VOLATILE PARALLEL UNSAFE;
