-- One person may hold two seats on one date when their times do not
-- overlap (a morning shift and an evening count), as in OS2valghalla; the
-- one-seat-a-day index goes. A seat's time is its task type's start to
-- end on its date (past midnight when the end is not after the start).
-- SQLite writes one transaction at a time, so a trigger that refuses an
-- overlap is enough under concurrency.
DROP INDEX seats_one_per_person_per_day;
CREATE INDEX seats_person ON seats (person_id, date) WHERE person_id IS NOT NULL;

CREATE TRIGGER seats_no_overlap_on_insert BEFORE INSERT ON seats
WHEN NEW.person_id IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'seats_overlap: the person holds a seat at that time')
    WHERE EXISTS (
        SELECT 1 FROM seats b
        JOIN task_types bt ON bt.id = b.task_type_id
        JOIN task_types nt ON nt.id = NEW.task_type_id
        WHERE b.person_id = NEW.person_id
          AND julianday(b.date || ' ' || bt.start_time)
              < julianday(NEW.date || ' ' || nt.end_time) + (nt.end_time <= nt.start_time)
          AND julianday(NEW.date || ' ' || nt.start_time)
              < julianday(b.date || ' ' || bt.end_time) + (bt.end_time <= bt.start_time)
    );
END;

CREATE TRIGGER seats_no_overlap_on_update BEFORE UPDATE OF person_id ON seats
WHEN NEW.person_id IS NOT NULL AND OLD.person_id IS NOT NEW.person_id
BEGIN
    SELECT RAISE(ABORT, 'seats_overlap: the person holds a seat at that time')
    WHERE EXISTS (
        SELECT 1 FROM seats b
        JOIN task_types bt ON bt.id = b.task_type_id
        JOIN task_types nt ON nt.id = NEW.task_type_id
        WHERE b.person_id = NEW.person_id AND b.id <> NEW.id
          AND julianday(b.date || ' ' || bt.start_time)
              < julianday(NEW.date || ' ' || nt.end_time) + (nt.end_time <= nt.start_time)
          AND julianday(NEW.date || ' ' || nt.start_time)
              < julianday(b.date || ' ' || bt.end_time) + (bt.end_time <= bt.start_time)
    );
END;
