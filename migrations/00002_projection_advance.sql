-- projection_advance moves a projector's checkpoint to p_seq, or raises
-- when that would apply an event twice (BE001) or skip one (BE002, unless
-- the caller confirmed with the stream that nothing lies after
-- p_gap_ok_after). Projections send it first in the same pipelined,
-- implicit transaction as an event's statements, so the raise rolls the
-- statements back and an event's effect plus its checkpoint cost one
-- round trip. DETAIL carries the current checkpoint.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION projection_advance(p_projector text, p_seq bigint, p_gap_ok_after bigint DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    cur bigint;
BEGIN
    SELECT seq INTO cur FROM projection_checkpoints WHERE projector = p_projector FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO projection_checkpoints (projector, seq) VALUES (p_projector, 0)
            ON CONFLICT (projector) DO NOTHING;
        SELECT seq INTO cur FROM projection_checkpoints WHERE projector = p_projector FOR UPDATE;
    END IF;
    IF p_seq <= cur THEN
        RAISE EXCEPTION 'projector % already applied event %', p_projector, p_seq
            USING ERRCODE = 'BE001', DETAIL = cur::text;
    END IF;
    IF p_seq > cur + 1 AND cur IS DISTINCT FROM p_gap_ok_after THEN
        RAISE EXCEPTION 'projector % is at % and got event %', p_projector, cur, p_seq
            USING ERRCODE = 'BE002', DETAIL = cur::text;
    END IF;
    UPDATE projection_checkpoints SET seq = p_seq WHERE projector = p_projector;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION projection_advance(text, bigint, bigint);
