-- One person may hold two seats on one date when their times do not
-- overlap (a morning shift and an evening count), as in OS2valghalla; the
-- one-seat-a-day index goes. A seat's time is its task type's start to
-- end on its date (past midnight when the end is not after the start).
-- The trigger first takes a lock on the person for the rest of the
-- transaction, so two transactions giving them seats at once are checked
-- one after the other; an overlap is refused as a unique violation, as
-- the index did.
DROP INDEX seats_one_per_person_per_day;
CREATE INDEX seats_person ON seats (person_id, date) WHERE person_id IS NOT NULL;

CREATE FUNCTION seats_no_overlap() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.person_id IS NULL
       OR (TG_OP = 'UPDATE' AND OLD.person_id IS NOT DISTINCT FROM NEW.person_id) THEN
        RETURN NEW;
    END IF;
    -- 7261: the namespace of these locks; the person the second key.
    PERFORM pg_advisory_xact_lock(7261, NEW.person_id::integer);
    IF EXISTS (
        SELECT 1 FROM seats b
        JOIN task_types bt ON bt.id = b.task_type_id
        JOIN task_types nt ON nt.id = NEW.task_type_id
        WHERE b.person_id = NEW.person_id AND b.id <> NEW.id
          AND b.date + bt.start_time
              < NEW.date + nt.end_time
                + CASE WHEN nt.end_time <= nt.start_time THEN INTERVAL '1 day' ELSE INTERVAL '0' END
          AND NEW.date + nt.start_time
              < b.date + bt.end_time
                + CASE WHEN bt.end_time <= bt.start_time THEN INTERVAL '1 day' ELSE INTERVAL '0' END
    ) THEN
        RAISE EXCEPTION 'seats_overlap: the person holds a seat at that time'
            USING ERRCODE = 'unique_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER seats_no_overlap BEFORE INSERT OR UPDATE OF person_id ON seats
FOR EACH ROW EXECUTE FUNCTION seats_no_overlap();
