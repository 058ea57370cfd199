"""The outbox CTE a counter's statement carries: its kind is a literal of the statement's text,
and only a plain name can be one."""

from __future__ import annotations

import pytest

from mud_persistence.repositories.outbox import batched_outbox_cte, outbox_cte


def test_the_kind_is_a_literal_and_the_arguments_and_origin_are_parameters() -> None:
    cte = outbox_cte("changed", kind="dp", first_parameter=6, player=5)

    assert "SELECT nextval('outbox_id_seq'), 'dp', $5, json_build_object('args', $6::json" in cte
    assert cte.endswith(", $7 FROM changed RETURNING id)")


@pytest.mark.parametrize("kind", ["dp'; DROP TABLE players; --", "Dp", "d\\p", ""])
def test_a_kind_that_is_no_plain_name_is_refused(kind: str) -> None:
    with pytest.raises(ValueError, match="lower-case letters and underscores"):
        outbox_cte("changed", kind=kind, first_parameter=6, player=5)
    with pytest.raises(ValueError, match="lower-case letters and underscores"):
        batched_outbox_cte(
            "changed", "batch_input", kind=kind, columns=("a",), first_column=6, player=5
        )
