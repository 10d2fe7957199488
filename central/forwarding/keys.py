"""Central's VAPID key pair for web push: made at first start, kept in `data_dir`, never fetched or sent anywhere."""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid

KEY_FILE = "vapid_private.pem"


def vapid_key(data_dir: Path) -> Vapid:
    """The key in `data_dir`, made (P-256, readable by this user only) when there is none yet."""
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
    return Vapid.from_file(private_key_file=str(path))


def public_key(vapid: Vapid) -> str:
    """The public key as the browser's `applicationServerKey` wants it (uncompressed point, base64url)."""
    raw = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
