-- A new metadata generation is announced to every server (channel danvan_generation, see
-- src/dashboards/cache.rs), so that a cached dashboard view need not read the generation row on
-- every request: at quarter-end that round trip competed for the CPU with the saves.
-- Identical notifications of one transaction are delivered once, at commit.

CREATE OR REPLACE FUNCTION bump_data_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE data_generation SET value = value + 1 WHERE id = 1;
    PERFORM pg_notify('danvan_generation', '');
    RETURN NULL;
END;
$$;
