"""CURVE keys for the ZMQ feed: encryption and subscriber authentication (CurveZMQ, RFC 26).

A key folder, as ``rfclassify keys DIR`` makes it::

    DIR/server.key              the publisher's public key: give it to every subscriber
    DIR/server.key_secret       the publisher's key pair: stays on the station (mode 0600)
    DIR/authorized/NAME.key     public keys of the subscribers allowed in (one file each)
    DIR/NAME.key_secret         a subscriber's key pair: copy it to that subscriber, with
                                server.key, and delete it here (mode 0600)

The publisher (``--zmq-curve-keys DIR``) serves with ``server.key_secret`` and lets in only the
clients whose public key is in ``authorized/`` (checked by a ZAP handler on its own ZMQ context).
A subscriber (``rfclassify listen --zmq-curve-keys DIR --curve-client NAME``) needs
``server.key`` and its own ``NAME.key_secret``. A subscriber without keys, or with a key that is
not authorised, never completes the handshake and receives nothing. The key files are
ZMQ's own certificate format (``zmq.auth``), so any pyzmq / CZMQ program can use them.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import RfclassifyError

SERVER = "server"
AUTHORIZED = "authorized"
DEFAULT_CLIENT = "client"


def _zmq():
    import zmq
    import zmq.auth

    if not zmq.has("curve"):
        raise RfclassifyError(
            f"this libzmq ({zmq.zmq_version()}) is built without CURVE security; install one "
            "built with libsodium (Debian's libzmq5 is)"
        )
    return zmq


def _check_name(name: str) -> str:
    if not name or not name.replace("-", "").replace("_", "").isalnum():
        raise RfclassifyError(f"client name {name!r}: use letters, digits, '-' and '_' only")
    if name == SERVER:
        raise RfclassifyError(f"'{SERVER}' names the publisher's own key; pick another name")
    return name


def create_keys(folder: str | Path, clients: list[str], force: bool = False) -> list[Path]:
    """Make the server pair (unless it exists) and one pair per client; the files written.

    The server pair is never replaced (delete it by hand to make a new one): a new one locks
    out every subscriber. An existing client pair is replaced only with ``force``.
    """
    zmq = _zmq()
    folder = Path(folder)
    names = [_check_name(c) for c in clients]
    try:
        (folder / AUTHORIZED).mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
        written: list[Path] = []
        for name in [SERVER, *names]:
            secret = folder / f"{name}.key_secret"
            if secret.exists() and (name == SERVER or not force):
                if name == SERVER:
                    continue  # keep the station's identity; add clients to it
                raise RfclassifyError(f"{secret} exists; pick another client name or use --force")
            public_path, secret_path = zmq.auth.create_certificates(folder, name)
            os.chmod(secret_path, 0o600)
            public = Path(public_path)
            if name != SERVER:  # a client's public key lives only where it authorises
                public = public.replace(folder / AUTHORIZED / f"{name}.key")
            written += [public, Path(secret_path)]
    except OSError as exc:
        raise RfclassifyError(f"cannot write keys in {folder}: {exc.strerror or exc}") from None
    return written


def _load(path: Path, secret: bool) -> tuple[bytes, bytes | None]:
    zmq = _zmq()
    if not path.is_file():
        what = "secret key" if secret else "public key"
        raise RfclassifyError(f"no CURVE {what} at {path} (make keys with 'rfclassify keys DIR')")
    try:
        public, private = zmq.auth.load_certificate(path)
    except (OSError, ValueError):
        public, private = None, None
    if public is None or (secret and private is None):
        raise RfclassifyError(
            f"{path} is not a ZMQ CURVE {'key pair' if secret else 'public key'} file "
            "(make keys with 'rfclassify keys DIR')"
        )
    return public, private


def authorized_clients(folder: str | Path) -> list[Path]:
    return sorted((Path(folder) / AUTHORIZED).glob("*.key"))


class CurveServer:
    """The publisher's side: a ZAP authenticator on ``context`` and the socket options."""

    def __init__(self, folder: str | Path, context):
        import zmq.auth.thread

        folder = Path(folder)
        self.public, self.secret = _load(folder / f"{SERVER}.key_secret", secret=True)
        clients = authorized_clients(folder)
        if not clients:
            raise RfclassifyError(
                f"{folder / AUTHORIZED} holds no client key: nobody could subscribe (add one "
                f"with 'rfclassify keys {folder} --client NAME')"
            )
        for path in clients:
            _load(path, secret=False)  # a damaged file is named now, not ignored by ZAP
        self.clients = len(clients)
        self.authenticator = zmq.auth.thread.ThreadAuthenticator(context)
        self.authenticator.start()
        self.authenticator.configure_curve(domain="*", location=str(folder / AUTHORIZED))

    def apply(self, socket) -> None:
        import zmq

        socket.setsockopt(zmq.CURVE_SERVER, 1)
        socket.setsockopt(zmq.CURVE_PUBLICKEY, self.public)
        socket.setsockopt(zmq.CURVE_SECRETKEY, self.secret)

    def stop(self) -> None:
        self.authenticator.stop()


def apply_client(socket, folder: str | Path, client: str = DEFAULT_CLIENT) -> None:
    """Set a SUB socket up as CURVE client ``client`` of the server whose keys are in ``folder``
    (``server.key`` and ``CLIENT.key_secret``)."""
    import zmq

    folder = Path(folder)
    server_public, _ = _load(folder / f"{SERVER}.key", secret=False)
    public, secret = _load(folder / f"{_check_name(client)}.key_secret", secret=True)
    socket.setsockopt(zmq.CURVE_SERVERKEY, server_public)
    socket.setsockopt(zmq.CURVE_PUBLICKEY, public)
    socket.setsockopt(zmq.CURVE_SECRETKEY, secret)
