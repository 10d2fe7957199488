from __future__ import annotations

import privacy


def test_privacy_exports_a_sorted_all() -> None:
    assert privacy.__all__ == sorted(privacy.__all__)
    assert all(hasattr(privacy, name) for name in privacy.__all__)
