"""PostgreSQL: a new case's units moved on the server (`case_days_added`), one call instead of a
round trip each for the units' locks, their read and their writes (cases.day_index).

The function is the PL/pgSQL twin of `cases.rules.shift_day` for a case added (delta 1): for
each unit it takes the same advisory locks first, then reads (a VOLATILE function's every query
takes a fresh snapshot: it sees what the writers it waited for committed) and writes the unit's
CaseDay row on the day, the next one's previous day and gap, its CaseUnit summary and its
last case day. When the new day splits the unit's longest gap, the longest gap is read again
from its rows, as the Python side does. The Hypothesis oracle tests of the case-day index run
through it on PostgreSQL. SQLite keeps the Python path."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-30T23:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "cases: a new case's case days moved on the PostgreSQL server"

CASE_DAYS_ADDED = """
CREATE OR REPLACE FUNCTION case_days_added(
    p_levels text[], p_codes text[], p_day date, p_keys int[], p_bulk_key int, p_unit_key int
) RETURNS int LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_level text;
    v_code text;
    v_here case_day%ROWTYPE;
    v_after case_day%ROWTYPE;
    v_unit case_unit%ROWTYPE;
    v_previous date;
    v_gap int;
    v_moved_gap int;
    v_best_gap int;
    v_best_end date;
BEGIN
    PERFORM pg_advisory_xact_lock_shared(p_bulk_key, 0);
    PERFORM pg_advisory_xact_lock(p_unit_key, k) FROM unnest(p_keys) AS k ORDER BY k;
    FOR i IN 1 .. coalesce(array_length(p_levels, 1), 0) LOOP
        v_level := p_levels[i];
        v_code := p_codes[i];
        SELECT * INTO v_here FROM case_day
        WHERE level = v_level AND code = v_code AND day = p_day;
        IF FOUND THEN
            UPDATE case_day SET cases = cases + 1 WHERE id = v_here.id;
            CONTINUE;
        END IF;
        SELECT * INTO v_unit FROM case_unit WHERE level = v_level AND code = v_code;
        IF NOT FOUND THEN
            INSERT INTO case_day (level, code, day, cases, previous_day, gap)
            VALUES (v_level, v_code, p_day, 1, NULL, NULL);
            INSERT INTO case_unit (level, code, first_day, last_day, days, best_gap, best_gap_end)
            VALUES (v_level, v_code, p_day, p_day, 1, 0, NULL);
        ELSE
            SELECT * INTO v_after FROM case_day
            WHERE level = v_level AND code = v_code AND day > p_day ORDER BY day LIMIT 1;
            IF FOUND THEN
                v_previous := v_after.previous_day;
                v_moved_gap := v_after.day - p_day - 1;
                UPDATE case_day SET previous_day = p_day, gap = v_moved_gap WHERE id = v_after.id;
            ELSE
                v_previous := v_unit.last_day;
            END IF;
            v_gap := CASE WHEN v_previous IS NULL THEN NULL ELSE p_day - v_previous - 1 END;
            INSERT INTO case_day (level, code, day, cases, previous_day, gap)
            VALUES (v_level, v_code, p_day, 1, v_previous, v_gap);
            IF v_after.id IS NOT NULL AND coalesce(v_after.gap, 0) <> 0
                    AND v_after.gap = v_unit.best_gap AND v_after.day = v_unit.best_gap_end THEN
                -- the new day splits the longest gap: read it again from the rows as they are
                SELECT coalesce(gap, 0), CASE WHEN coalesce(gap, 0) = 0 THEN NULL ELSE day END
                INTO v_best_gap, v_best_end FROM case_day
                WHERE level = v_level AND code = v_code
                ORDER BY coalesce(gap, 0) DESC, day DESC LIMIT 1;
            ELSE
                v_best_gap := v_unit.best_gap;
                v_best_end := v_unit.best_gap_end;
                IF coalesce(v_gap, 0) <> 0 AND (v_gap > v_best_gap
                        OR (v_gap = v_best_gap AND p_day > v_best_end)) THEN
                    v_best_gap := v_gap;
                    v_best_end := p_day;
                END IF;
                IF v_after.id IS NOT NULL AND v_moved_gap <> 0 AND (v_moved_gap > v_best_gap
                        OR (v_moved_gap = v_best_gap AND v_after.day > v_best_end)) THEN
                    v_best_gap := v_moved_gap;
                    v_best_end := v_after.day;
                END IF;
            END IF;
            UPDATE case_unit SET first_day = least(first_day, p_day),
                last_day = greatest(last_day, p_day), days = days + 1,
                best_gap = v_best_gap, best_gap_end = v_best_end
            WHERE id = v_unit.id;
        END IF;
        IF v_unit.id IS NULL OR p_day > v_unit.last_day THEN
            IF v_level = 'station' THEN
                UPDATE station SET last_case_on = p_day WHERE code = v_code;
            ELSE
                UPDATE region SET last_case_on = p_day WHERE code = v_code;
            END IF;
        END IF;
    END LOOP;
    RETURN coalesce(array_length(p_levels, 1), 0);
END
$$
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)

    async def case_days_added():
        engine = engine_finder()
        if isinstance(engine, PostgresEngine):
            await engine.run_ddl(CASE_DAYS_ADDED)

    manager.add_raw(case_days_added)
    return manager
