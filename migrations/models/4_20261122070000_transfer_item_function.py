from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

# Written by hand: Aerich does not track functions, and this migration changes no model
# (MODELS_STATE below is the previous migration's, unchanged).
#
# transfer_item(item, source, target) moves an item between containers in one call, with every
# rule of the layer's Python path (ContainerRepository.transfer, used on SQLite):
# - the two container rows are locked first, in id order (repositories/locking.py), so a
#   transfer never deadlocks with another transfer or a player's deletion;
# - then each refusal, in the Python path's order, raised with a code of class MP that
#   repositories/transfer.py turns into the layer's error (DETAIL carries the values it names):
#   MPN01 a container does not exist (DETAIL: the smallest missing id), MPN02 the item does
#   not exist, MPC01 the item is not in the source, MPC02 the target is full (DETAIL: its
#   slots), MPC03 the target would be over its weight limit (DETAIL: the load and the limit);
# - weights are summed exactly, as repositories/weights.py does: each float as the shortest
#   decimal that reads back as it (extra_float_digits = 1), in numeric;
# - the item takes the target's lowest free slot, is handed over to it, both containers are
#   touched, and the target is returned with its items, as JSON in ContainerData's shape
#   (the same rendering as repositories/container_views.py).
# It returns one row, so a caller can use it as a CTE: WITH change AS (SELECT * FROM ...).


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE FUNCTION transfer_item(p_item text, p_source uuid, p_target uuid)
RETURNS TABLE (item_instance_id text, from_container_id uuid, to_container_id uuid, container json)
LANGUAGE plpgsql
SET extra_float_digits = 1
AS $$
#variable_conflict use_column
DECLARE
    v_locked uuid[];
    v_capacity int;
    v_limit int;
    v_taken int;
    v_slot int;
    v_load numeric;
BEGIN
    SELECT array_agg(l.container_id),
           min(l.capacity_slots) FILTER (WHERE l.container_id = p_target),
           min(l.weight_limit) FILTER (WHERE l.container_id = p_target)
      INTO v_locked, v_capacity, v_limit
      FROM (SELECT c.container_id, c.capacity_slots, c.weight_limit FROM containers c
             WHERE c.container_id IN (p_source, p_target)
             ORDER BY c.container_id FOR UPDATE) l;
    IF coalesce(array_length(v_locked, 1), 0) < 2 THEN
        RAISE EXCEPTION USING ERRCODE = 'MPN01', MESSAGE = 'no such container',
            DETAIL = (SELECT x::text FROM unnest(ARRAY[p_source, p_target]) x
                       WHERE x <> ALL (coalesce(v_locked, '{}')) ORDER BY x LIMIT 1);
    END IF;
    PERFORM FROM container_contents cc
      WHERE cc.container_id = p_source AND cc.item_instance_id = p_item;
    IF NOT FOUND THEN
        IF EXISTS (SELECT FROM item_instances i WHERE i.item_instance_id = p_item) THEN
            RAISE EXCEPTION USING ERRCODE = 'MPC01', MESSAGE = 'item not in container';
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'MPN02', MESSAGE = 'no such item instance';
    END IF;
    SELECT count(*) INTO v_taken FROM container_contents cc WHERE cc.container_id = p_target;
    IF v_taken + 1 > v_capacity THEN
        RAISE EXCEPTION USING ERRCODE = 'MPC02', MESSAGE = 'container full',
            DETAIL = v_capacity::text;
    END IF;
    IF v_limit IS NOT NULL THEN
        SELECT coalesce(sum(i.quantity * pr.weight::text::numeric), 0) INTO v_load
          FROM item_instances i JOIN item_prototypes pr ON pr.prototype_id = i.prototype_id
         WHERE i.item_instance_id = p_item OR i.item_instance_id IN
               (SELECT cc.item_instance_id FROM container_contents cc
                 WHERE cc.container_id = p_target);
        IF v_load > v_limit THEN
            RAISE EXCEPTION USING ERRCODE = 'MPC03', MESSAGE = 'over the weight limit',
                DETAIL = v_load::text || ' ' || v_limit::text;
        END IF;
    END IF;
    SELECT min(p) INTO v_slot FROM generate_series(0, v_capacity - 1) p
     WHERE p NOT IN (SELECT cc.position FROM container_contents cc
                      WHERE cc.container_id = p_target);
    UPDATE container_contents cc SET container_id = p_target, position = v_slot
     WHERE cc.container_id = p_source AND cc.item_instance_id = p_item;
    UPDATE item_instances i SET owner_type = 'container', owner_id = p_target::text,
           updated_at = now()
     WHERE i.item_instance_id = p_item;
    UPDATE containers c SET updated_at = now() WHERE c.container_id IN (p_source, p_target);
    RETURN QUERY SELECT p_item, p_source, p_target, json_build_object(
        'container_id', c.container_id, 'source_type', c.source_type, 'owner_id', c.owner_id,
        'room_id', c.room_id, 'entity_id', c.entity_id, 'lock_state', c.lock_state,
        'capacity_slots', c.capacity_slots, 'weight_limit', c.weight_limit,
        'decay_at', to_char(c.decay_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'allowed_roles', c.allowed_roles, 'metadata', c.metadata,
        'container_item_instance_id', c.container_item_instance_id,
        'created_at', to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'updated_at', to_char(c.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'items', COALESCE((
            SELECT json_agg(json_build_object(
                'item_instance_id', i.item_instance_id, 'item_id', i.prototype_id,
                'item_name', COALESCE(NULLIF(i.custom_name, ''), pr.name),
                'quantity', i.quantity, 'condition', i.condition, 'position', cc.position,
                'metadata', i.metadata,
                'slot_type', COALESCE(i.metadata -> 'slot_type', to_jsonb('backpack'::text)))
                ORDER BY cc.position)
            FROM container_contents cc
            JOIN item_instances i ON i.item_instance_id = cc.item_instance_id
            JOIN item_prototypes pr ON pr.prototype_id = i.prototype_id
            WHERE cc.container_id = c.container_id), '[]'::json))
    FROM containers c WHERE c.container_id = p_target;
END
$$;"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP FUNCTION transfer_item(text, uuid, uuid);"""


MODELS_STATE = (
    "eJztXWtz2zYW/SscfUpmXI0s24k33XZGlpVWG0Xy2nK3bZyhYRKSMKZIhQSteLP57wvwDR"
    "KgSD1JB1+cEMSBwHPxvPfi4ltjbunQcJpdy8QAmdBuvFO+NUwwh+Q/2ZdHSgMsFvErmoDB"
    "g+Hl1sJsXjJ4cLANNEzeTIDhQJKkQ0ez0QIjyySppmsYNNHSSEZkTuMk10RfXKhiawrxzK"
    "vSp88kGZk6/Aqd8HHxqE4QNHSmxlEdVKTTWng5VPy88N7e3vYv33sY+sMPqmYZ7tzk4RbP"
    "eGaZEdB1kd6kaPpuCkk+gKGe+DRa84CHMMn/CpKAbRdG1dfjBB1OgGtQghr/nLimRnlRvF"
    "+if05/DSqZyKaqw9FYvemNVbVRgk/ycVQWyMSUvG/f/XJjarzUBv2B7u+d61cnb157FFgO"
    "ntreS4+4xncPCDDwoZ4gYuYdy7U16DOWIb47A3bPdOce+X1SG2BqMCOEVBEpGZBPWIf9MC"
    "GmP26OIbEhdcXJbvSGf/SvR8OPveH4nQLNJ2Rb5hya+M7s/fu2fxWkf3HRwk/tjq6vbnrv"
    "FM2yF47/6SsF1ZiDr6oBzSmekcfjNzmC+6Nz7cnu2JedRXqe3ymHwZu294qKMBaZbVlzbj"
    "+h4uL3kwRkLfEETT9HOpnOUV44hXsCS3D77KwAwySXkGLvHcuxYWmPKmnveO1ewZZw4E7h"
    "mrQ6UOf0iNvhYNT90Lt8p4SZ7swwJXy+6XUG9NmBwAgKOXgv0MACaAg/q45hYScrpb6JBX"
    "NGBpgSDvmC6oxYxTvFlFbip/bx6dvT85M3p+cki1fRKOVtjgj6w3GK3yVE0xlWDTRHuAS7"
    "adha3K4ebmpNrQ418KwCDq2XhBOM5pDPbRKX4lUPgM3wP7Ub1HMYHPc/9m7GnY9XtPi543"
    "wxPK464x590/ZSn1Opr9JjSVSI8p/++HeFPip/j4a99Jopyjf+u0HrBFxsqaa1VIGe5DFM"
    "DpMYAQPDsJZQV23LgJyh6V83oyFfwhlgWsxIw8r/FAM5+x2iPn3ejWQpE4xQwxH/1cfOn+"
    "nJoDsYXaSlRQu4SHWvOcSArnfLEJ/EVITzb99rxLlmQ8rJGoMai9zCsLY9CQyt5avXckjz"
    "t9ILfU0Bs0gp4IoKOKFKwZBsFoN9TcmNZn4pO9p77ncxyOxr3pwW2Ne8ORXua+grdiSFJq"
    "abEx7tN9gWq8IY3EsgehN9V0yntRRpFXPZTMJ+bDKpznbyyNUdeiRliX1v2WQTaH6AzxkN"
    "SYrKQFF9ZYBnWF9S49S4ijZYRmpupjGRryffDLHfBHtjZXg7GDQ4I4DkdSWvzJDHENvt3H"
    "Q7l71GkRluC0T3SXnJXC+T7vy5XdCw6fDxALTHJbB1VTCO0IKhyVPiXQTI9x+uoQG8DxMK"
    "ITJ3df3iaqjDE0nCY9FqWwn2GF6zr+bteToFmGDqfRL9bfpLIt7yTIkJbgtYFNWkZLdrWf"
    "wU/0owcSGvmM9FTY68JYFQq8ldCHB0mUG32cysWHlNptiaGImhOLVJiFTEc7TFVbSNV2Oc"
    "3HBrsMk+d2u724qNDzvY3OZsIJghfMM1GOPtUs/2XGYFlrPmFS+5sssIQW/IymNkwrFF/u"
    "xmRVytXlBUHCuXwXyRbLRaY4jlrNTSxItXaUztd+/79SnYBoduQtGm+LN4iSYH6P1oH8UL"
    "OlZm6/jBsCVU2jnsejT6+E6hvlLU8Ws47vSHvWvq+xWMunfm1aDzF01aRJqVwzvCiDWc4t"
    "7x0tSb+/EI8xQQ/p72K8cMJqabh5W0F6L9iwsE6lDhjjIJOeyO8ngDare/i9TLbs0ZjHTk"
    "ypI6McDUUa0naNtI58yQYn+TLLIiXie18vR5IJ9H6pPnqMunPwN8eaPxWavAYHzWEo7F9B"
    "XLNsDYNSH1ixcRnuPYxsFWpMXXy8/KdbA1V73HEu09BXt5rX0naw/pSLj/Bm7ZaIpM1T9T"
    "VGpLkwbKRl6okQe8rdPWOVDZ5KXvrHStlL6zP5aAF7aFLfoNJdVwaVyVtaNrzlnH7SL7EJ"
    "JLrPFst1aYESMat2BGpPaTq2R5NWO/qO0q3fQYu9U16RHX/e64mPsWcNQcQ+5aLlz1W6lt"
    "x3WL5/VBj6mKaQ3tsjvxj6sTxyVtqHEfFxhRmUFghRU16kwHDKFRrTmoQkbSrc1ARzl20r"
    "IKmY00MVWbc/awS3Vmlo3VZP0yZI/hV4Edgws+MPM7Wjn3/hzn70+jhfNgNPwtzJ7etKYt"
    "n+Z0Xep5WMl8Uea9yUXsfJHj+VIHf4vKGDb8mBWczYNhgdwwFxyGJxSzT45bzdZOGvTl6P"
    "Zi0FOurnvd/k0/UHtFu27vJU0iCSjcNHQGafsccKD6BAyX04CFVmcWdFgD/gbUbj1oiGuD"
    "B2SUc4VgQdKELzDhl1F6R4CKqLprZbBfQmCLAjaJKWdRkvfyvDsYaI/U4cF2S0akySIrwn"
    "+tTDyuA6ZQJRlItbyAkaVkwEdLOZSXA5xMoIYJtfOFZfKPnIrFwAVXRAq1Go2kX8X+Occl"
    "lzlYrnKkQV/ae2N7b8b+WMQ0xhyvWt8utulpuirbbXYV1iAIfsKx7sRhUcRmHf+ATzFzDj"
    "0bqWgzQDNBu6nc3/toFen39wowdZLiOtGzDRWfL+dIAY6CTAXPoGIZuuLV42eFCl9XNEvP"
    "xJve3S/dmWTk0Z24RHo8nC3TT2nemXfmhYtIIUAx4VIhSyFa+JRw7JWkAGMJnh1FR/oRgf"
    "pkv4rq+Uuz2TxSgkr6D1Q83v/uaBPHzi/fyAORJPn7+v7+KKiDA56g6hdD6kU6FrQx+Sb8"
    "s+KazgJqiLQL+i10KHUUDB4h/VpkK0FzdpqNo80MbOEnZPvyTV4oKQa3L+taIjT93NXVBW"
    "nLZMqGZPxoBr3Ar1ZTJTJUoyrWLHh90IxKCiSB2pV6vCKBc0sEQ5AGzB0aGDTXtunRhzUi"
    "93OgB6YcAhvPVGA/zsDcj6MOTISBjdy5X8uJRQeTVut4axLZiUmZ9IUFWJrrCIUDld7mhU"
    "iHX8lUhOg8pC4sxI/5haZCewYXXncT0T/a7ZOTt+3WyZvzs9O3b8/OW5FRI/sqz7px0f+N"
    "GjgYaWQtHgZ8gkYJG1KUX56ljbTptt9JipOYhByWx7Mq2TThV7KPKWnSTGIklQl/UQcj7J"
    "Y/4s3AJKFRJ0f/LeO1EGaXBMa6LwwNA00hN56UONRiCiYJjYMrLnkO9jmRFYP8ksJo+am7"
    "Gig5RDIYSWU04ZDdEXLmHCOeeLJJQCSR0Xrc1R7LLMeD7JLAyKkIObo1L0FhDJAkplVU+q"
    "JMh2ZAhyWzXSEyqR6lFJExQPpo8uicIk2oL8ohlYUdWH9Rsfa5NqlZqGyz3Fkd6eU0G0nI"
    "odtqxRrrGmymYbKRcqhdqBPqS0CqATgq4ZzzLxnkmsdgKkbwjs/DWJpGq1u8EceAuhs5tt"
    "ZmfUrUR9NaGlCfllEt8aCS10iBbNuu4Hxnjvo4CZJchoeKICijqAuzS/6izSjppmAyQQYq"
    "q63jQSWvUR8nmWxIXcH4tzzkdPQMUrK68tKjYhHyc25A2rdvD60hDYybXUI1bsad4WV/+N"
    "s7Jcx0Z970x2M/CWHspQz+8p6N57CQg4fHR+YTNLFlc/YO4tMPDEgegVjjoNUXFy0WkONV"
    "lXO+KoGpCOe1OuJDnaddR/WPqZU95JlCVoT/WrV55KhAnyPOPHBhWQYEpmCsScBStD8Q3D"
    "75jnNtm/CL0WjAEH7RT8c/uf140SNj+2t2F83xK3CCSHWcwWUV0QmgpHo11QFdaxxkY5Fb"
    "OMhWH0VRLU6zMUdDyUsbAWPdq7ZEeOkSXcglWp4WfeH9ywAOVqmu/Imz486XcAoqRVxRES"
    "9sawIdh17xVepe6QxOWqn8VUjmtDWPa47Fqmy45yumsHrxLDpWfZQN9cw2MibWM6mFMrwd"
    "DIrFevb26N41PlGA4g3Ptr/EmM/p6xl1yVZBtoTKizIk+WfOe15Re50Sax8uIeBMGDQh5n"
    "RV6ISkMqlYBAUfoFimF1LAL+VI8Rc/ynKGDKjc39OAht6p9p+UVxhpj+RfUhMDeatglaa8"
    "Vn5VWvf3zbT2eVe/sUFEAd5SQXxsnbtAoEEZmt5x7jXaeakwAt4v0T+nNQsSEITt8hjL0C"
    "3e1aZgL/Cc+7Zuj05sZQkVU66pJeeAewIjSS5Acjg8ldhmJCGHNdtWaIvBXG3Jju8lqOUg"
    "JcOC04CmU86Fk8HI0+ehma/01Ygv+U7E4/Z5EY+B9nnO7R7n6SH2CTnID5utCqIliMnmYQ"
    "88r3lVMuDWOD9pF6D8pC1knL6SOvAfS0FaneBpWXnWI1pXnko0imi4qTo0KqiWrK5WhSab"
    "E6MG7XZuup3LXp4WdKfql1gPzVO+MFrqHNVLlO+AF5GVMoAUtXoEwtxMm1H55XJV7xer0G"
    "1u2w/Ot+bNVvJSK2aVUfxSq4kBnixbxYTZMnynYJLvonxT507VpoY7G87L3nnABVfEObR2"
    "zrkqmbJpmGKeEXCFCBhkRfivlXOu84gMY00BZKFSAuvc+qHNgIk0YKzjos5HV0QOtRqJqL"
    "/5E0A+CxkJrHRVT0J35kNdaH0ZZaqYB3Vmo17EsSZx4cCmjg/1U+kexOOhA22kzRqc7Xbw"
    "5ihvqw3iPHKXva92sutd9hO9JkF0kFOg7o8hL9B6vROHd9qpSjAcZH+B7B63Ct1M38q5mb"
    "6VvWvAolZTztZavLZKQCqyoNq5rn1rK6sSk/32J7Pv/wcYLaJO"
)
