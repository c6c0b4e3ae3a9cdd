"""The server side of TLS 1.3 and TLS 1.2, small enough to misbehave on purpose.

Only what the hostile cases need, written out so that every byte a case sends
is visible: the record layer (plaintext and AEAD-protected, RFC 8446 5 and
RFC 5246 6.2 / RFC 5288), the TLS 1.3 key schedule (RFC 8446 7.1) with
KeyUpdate (7.2), the TLS 1.2 PRF and key block (RFC 5246 5, 6.3, 8.1), and
encoders for the handshake messages. One suite per version:
TLS_AES_128_GCM_SHA256 (0x1301) and ECDHE-ECDSA-AES128-GCM-SHA256 (0xC02B),
with a P-256 ECDSA server key; key shares on secp256r1 or X25519.

Nothing here checks the peer beyond what is needed to keep talking: it is a
test server, and the device is the party under test.
"""

import hashlib
import hmac
import os
import socket
import struct
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

# Record content types (RFC 8446 5.1).
CCS, ALERT, HANDSHAKE, APPDATA = 20, 21, 22, 23
# Handshake types (RFC 8446 4, RFC 5246 7.4).
HELLO_REQUEST, CLIENT_HELLO, SERVER_HELLO, NEW_SESSION_TICKET = 0, 1, 2, 4
ENCRYPTED_EXTENSIONS, CERTIFICATE, SERVER_KEY_EXCHANGE, CERTIFICATE_REQUEST = 8, 11, 12, 13
SERVER_HELLO_DONE, CERTIFICATE_VERIFY, CLIENT_KEY_EXCHANGE, FINISHED = 14, 15, 16, 20
KEY_UPDATE, MESSAGE_HASH = 24, 254
# Extensions.
EXT_SERVER_NAME, EXT_SUPPORTED_GROUPS, EXT_SIG_ALGS = 0, 10, 13
EXT_SUPPORTED_VERSIONS, EXT_KEY_SHARE, EXT_RENEGOTIATION_INFO = 43, 51, 0xFF01
# Groups and suites.
SECP256R1, SECP384R1, X25519 = 0x0017, 0x0018, 0x001D
TLS_AES_128_GCM_SHA256 = 0x1301
ECDHE_ECDSA_AES128_GCM_SHA256 = 0xC02B
ECDSA_SECP256R1_SHA256 = 0x0403
# RFC 8446 4.1.3: the random of a HelloRetryRequest.
HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
ALERT_NAMES = {
    0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 22: "record_overflow",
    40: "handshake_failure", 42: "bad_certificate", 46: "certificate_unknown", 47: "illegal_parameter",
    48: "unknown_ca", 50: "decode_error", 51: "decrypt_error", 70: "protocol_version",
    71: "insufficient_security", 80: "internal_error", 90: "user_canceled", 100: "no_renegotiation",
    109: "missing_extension", 110: "unsupported_extension",
}


def u8(n): return struct.pack("!B", n)
def u16(n): return struct.pack("!H", n)
def u24(n): return struct.pack("!I", n)[1:]
def u32(n): return struct.pack("!I", n)
def vec8(b): return u8(len(b)) + b
def vec16(b): return u16(len(b)) + b
def vec24(b): return u24(len(b)) + b


def record(ctype, body, version=0x0303):
    """A record with the length its body has; for wrong lengths, build the header by hand."""
    return u8(ctype) + u16(version) + vec16(body)


def handshake(htype, body):
    return u8(htype) + u24(len(body)) + body


def ext(etype, data):
    return u16(etype) + vec16(data)


def alert_name(code):
    return ALERT_NAMES.get(code, "alert %d" % code)


class PeerClosed(Exception):
    pass


# ---------------------------------------------------------------- credentials

class ServerCredentials:
    """The server's certificate (DER) and P-256 key, from the test PKI's server.pem and server.key."""

    def __init__(self, cert_path, key_path):
        with open(cert_path, "rb") as f:
            self.chain = [c.public_bytes(serialization.Encoding.DER)
                          for c in x509.load_pem_x509_certificates(f.read())]
        with open(key_path, "rb") as f:
            self.key = serialization.load_pem_private_key(f.read(), password=None)
        if not isinstance(self.key, ec.EllipticCurvePrivateKey) or self.key.curve.name != "secp256r1":
            raise ValueError("the hostile server signs with a P-256 key")

    def sign(self, data, hash_algorithm=hashes.SHA256()):
        return self.key.sign(data, ec.ECDSA(hash_algorithm))


# ---------------------------------------------------------------- key exchange

class KeyShare:
    """An ephemeral ECDHE key on one group: its public share and the secret with a peer's share."""

    def __init__(self, group):
        self.group = group
        if group == X25519:
            self.private = X25519PrivateKey.generate()
            self.public = self.private.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        elif group == SECP256R1:
            self.private = ec.generate_private_key(ec.SECP256R1())
            self.public = self.private.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        else:
            raise ValueError("group %#06x" % group)

    def shared_secret(self, peer):
        if self.group == X25519:
            return self.private.exchange(X25519PublicKey.from_public_bytes(peer))
        point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), peer)
        return self.private.exchange(ec.ECDH(), point)


# ---------------------------------------------------------------- TLS 1.3 key schedule (RFC 8446 7.1)

HASH = hashlib.sha256
HASH_LEN = 32


def hkdf_extract(salt, ikm):
    return hmac.new(salt or bytes(HASH_LEN), ikm, HASH).digest()


def hkdf_expand_label(secret, label, context, length):
    info = u16(length) + vec8(b"tls13 " + label) + vec8(context)
    return HKDFExpand(hashes.SHA256(), length, info).derive(secret)


def derive_secret(secret, label, transcript_bytes):
    return hkdf_expand_label(secret, label, HASH(transcript_bytes).digest(), HASH_LEN)


class Tls13Keys:
    """One direction's AEAD key and IV from a traffic secret, with its record sequence number."""

    def __init__(self, secret):
        self.secret = secret
        self.aead = AESGCM(hkdf_expand_label(secret, b"key", b"", 16))
        self.iv = hkdf_expand_label(secret, b"iv", b"", 12)
        self.seq = 0

    def nonce(self):
        n = bytes(a ^ b for a, b in zip(self.iv, bytes(4) + struct.pack("!Q", self.seq)))
        self.seq += 1
        return n

    def seal(self, ctype, payload, padding=0):
        inner = payload + u8(ctype) + bytes(padding)
        header = u8(APPDATA) + u16(0x0303) + u16(len(inner) + 16)
        return header + self.aead.encrypt(self.nonce(), inner, header)

    def open(self, header, body):
        inner = self.aead.decrypt(self.nonce(), body, header).rstrip(b"\x00")
        if not inner:
            raise ValueError("inner plaintext with no content type")
        return inner[-1], inner[:-1]

    def updated(self):
        """The next generation of keys (RFC 8446 7.2)."""
        return Tls13Keys(hkdf_expand_label(self.secret, b"traffic upd", b"", HASH_LEN))


class Tls13Schedule:
    """Early, handshake and master secrets; traffic secrets from transcript snapshots."""

    def __init__(self, shared_secret):
        early = hkdf_extract(None, bytes(HASH_LEN))
        self.handshake_secret = hkdf_extract(derive_secret(early, b"derived", b""), shared_secret)
        self.master_secret = hkdf_extract(derive_secret(self.handshake_secret, b"derived", b""),
                                          bytes(HASH_LEN))

    def handshake_traffic(self, transcript_bytes):
        return (derive_secret(self.handshake_secret, b"c hs traffic", transcript_bytes),
                derive_secret(self.handshake_secret, b"s hs traffic", transcript_bytes))

    def application_traffic(self, transcript_bytes):
        return (derive_secret(self.master_secret, b"c ap traffic", transcript_bytes),
                derive_secret(self.master_secret, b"s ap traffic", transcript_bytes))


def finished_mac(base_secret, transcript_bytes):
    key = hkdf_expand_label(base_secret, b"finished", b"", HASH_LEN)
    return hmac.new(key, HASH(transcript_bytes).digest(), HASH).digest()


def certificate_verify_input(transcript_bytes, server=True):
    """What a TLS 1.3 CertificateVerify signs (RFC 8446 4.4.3), given the transcript so far."""
    label = b"TLS 1.3, server CertificateVerify" if server else b"TLS 1.3, client CertificateVerify"
    return b" " * 64 + label + b"\x00" + HASH(transcript_bytes).digest()


# ---------------------------------------------------------------- TLS 1.2 (RFC 5246, RFC 5288)

def prf12(secret, label, seed, length):
    """The TLS 1.2 PRF, P_SHA256 (RFC 5246 5)."""
    seed = label + seed
    out, a = b"", seed
    while len(out) < length:
        a = hmac.new(secret, a, HASH).digest()
        out += hmac.new(secret, a + seed, HASH).digest()
    return out[:length]


class Tls12Keys:
    """One direction of AES-128-GCM in TLS 1.2: 4-byte salt, explicit 8-byte nonce (RFC 5288 3)."""

    def __init__(self, key, salt):
        self.aead, self.salt, self.seq = AESGCM(key), salt, 0

    def seal(self, ctype, payload):
        explicit = struct.pack("!Q", self.seq)
        aad = explicit + u8(ctype) + u16(0x0303) + u16(len(payload))
        self.seq += 1
        body = explicit + self.aead.encrypt(self.salt + explicit, payload, aad)
        return record(ctype, body)

    def open(self, ctype, body):
        explicit, sealed = body[:8], body[8:]
        aad = struct.pack("!Q", self.seq) + u8(ctype) + u16(0x0303) + u16(len(sealed) - 16)
        self.seq += 1
        return ctype, self.aead.decrypt(self.salt + explicit, sealed, aad)


# ---------------------------------------------------------------- the ClientHello

class ClientHello:
    """The parts of the device's ClientHello the server answers to."""

    def __init__(self, message):
        self.message = message  # header included: it goes into the transcript as sent
        body = message[4:]
        self.random = body[2:34]
        o = 34
        self.session_id = body[o + 1:o + 1 + body[o]]
        o += 1 + body[o]
        n = struct.unpack("!H", body[o:o + 2])[0]
        self.suites = list(struct.unpack("!%dH" % (n // 2), body[o + 2:o + 2 + n]))
        o += 2 + n
        o += 1 + body[o]  # compression methods
        self.extensions = {}
        end = o + 2 + struct.unpack("!H", body[o:o + 2])[0]
        o += 2
        while o < end:
            etype, length = struct.unpack("!HH", body[o:o + 4])
            self.extensions[etype] = body[o + 4:o + 4 + length]
            o += 4 + length

    def key_shares(self):
        data, shares, o = self.extensions.get(EXT_KEY_SHARE, b"\x00\x00"), {}, 2
        while o < len(data):
            group, length = struct.unpack("!HH", data[o:o + 4])
            shares[group] = data[o + 4:o + 4 + length]
            o += 4 + length
        return shares

    def groups(self):
        data = self.extensions.get(EXT_SUPPORTED_GROUPS, b"\x00\x00")
        return list(struct.unpack("!%dH" % ((len(data) - 2) // 2), data[2:]))

    def offers_tls13(self):
        return b"\x03\x04" in self.extensions.get(EXT_SUPPORTED_VERSIONS, b"")


# ---------------------------------------------------------------- one connection, server side

class ServerConnection:
    """A TCP connection from the device, with the record layer and the handshake transcript.

    `transcript` is every handshake message so far, concatenated; each send_*/read_* that carries a
    handshake message adds it, except where a case asks not to (hostile messages the device is
    expected to refuse do not need to be in it).
    """

    def __init__(self, sock, timeout):
        self.sock = sock
        self.sock.settimeout(timeout)
        self.buffer = b""
        self.transcript = b""
        self.read_keys = None   # Tls13Keys or Tls12Keys once the peer protects its records
        self.write_keys = None
        self.tls12 = False
        self.handshake_buffer = b""
        self.bytes_sent = 0

    # -- raw bytes
    def send_raw(self, data):
        self.sock.sendall(data)
        self.bytes_sent += len(data)

    def _fill(self, n):
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise PeerClosed()
            self.buffer += chunk

    def read_record(self):
        """The next record as (type, header, body), still protected."""
        self._fill(5)
        length = struct.unpack("!H", self.buffer[3:5])[0]
        self._fill(5 + length)
        header, body = self.buffer[:5], self.buffer[5:5 + length]
        self.buffer = self.buffer[5 + length:]
        return header[0], header, body

    # -- records, protected when keys are set
    def send_record(self, ctype, payload, padding=0):
        if self.write_keys is None or ctype == CCS:
            self.send_raw(record(ctype, payload))
        elif self.tls12:
            self.send_raw(self.write_keys.seal(ctype, payload))
        else:
            self.send_raw(self.write_keys.seal(ctype, payload, padding))

    def read_plain_record(self):
        """The next record, unprotected: (content type, payload). CCS records pass through as they are."""
        ctype, header, body = self.read_record()
        if self.read_keys is None or ctype == CCS:
            return ctype, body
        if self.tls12:
            return self.read_keys.open(ctype, body)
        return self.read_keys.open(header, body)

    def send_handshake(self, htype, body, in_transcript=True):
        message = handshake(htype, body)
        if in_transcript:
            self.transcript += message
        self.send_record(HANDSHAKE, message)
        return message

    def read_handshake(self):
        """The next whole handshake message from the device (header included), added to the transcript."""
        while True:
            if len(self.handshake_buffer) >= 4:
                length = struct.unpack("!I", b"\x00" + self.handshake_buffer[1:4])[0]
                if len(self.handshake_buffer) >= 4 + length:
                    message = self.handshake_buffer[:4 + length]
                    self.handshake_buffer = self.handshake_buffer[4 + length:]
                    self.transcript += message
                    return message
            ctype, payload = self.read_plain_record()
            if ctype == CCS:
                continue
            if ctype == ALERT:
                raise DeviceAlert(payload)
            if ctype != HANDSHAKE:
                raise ValueError("expected a handshake record, got type %d" % ctype)
            self.handshake_buffer += payload

    def observe(self, seconds):
        """What the device does next, for up to `seconds`: the alerts it sends (level, code), other
        records by type, and whether it closed the connection. Records it protects are opened with
        the current read keys when they still fit."""
        seen = {"alerts": [], "records": [], "closed": False}
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                ctype, header, body = self.read_record()
            except PeerClosed:
                seen["closed"] = True
                break
            except (socket.timeout, TimeoutError):
                break
            except OSError:
                seen["closed"] = True
                break
            if self.read_keys is not None and ctype != CCS:
                try:
                    if self.tls12:
                        ctype, body = self.read_keys.open(ctype, body)
                    else:
                        ctype, body = self.read_keys.open(header, body)
                except Exception:
                    seen["records"].append("undecryptable")
                    continue
            if ctype == ALERT and len(body) == 2:
                seen["alerts"].append((body[0], body[1]))
            elif ctype == HANDSHAKE and body:
                seen["records"].append("handshake %d" % body[0])
            else:
                seen["records"].append("type %d" % ctype)
        return seen


class DeviceAlert(Exception):
    def __init__(self, payload):
        self.level, self.code = (payload[0], payload[1]) if len(payload) == 2 else (0, -1)
        super().__init__("device sent alert %s (level %d)" % (alert_name(self.code), self.level))


# ---------------------------------------------------------------- TLS 1.3 handshake, step by step

class Tls13Server:
    """An honest TLS 1.3 server handshake, one method per flight part, for cases to reorder or bend."""

    def __init__(self, conn, creds):
        self.conn, self.creds = conn, creds
        self.client_hello = None
        self.schedule = None
        self.client_hs = self.server_hs = None

    def read_client_hello(self):
        self.client_hello = ClientHello(self.conn.read_handshake())
        return self.client_hello

    def hello_retry_request(self, group, cipher_suite=TLS_AES_128_GCM_SHA256):
        """A HelloRetryRequest asking for `group`; the transcript starts again from message_hash (4.4.1)."""
        ch1 = self.conn.transcript
        self.conn.transcript = handshake(MESSAGE_HASH, HASH(ch1).digest())
        body = (u16(0x0303) + HRR_RANDOM + vec8(self.client_hello.session_id) + u16(cipher_suite) + u8(0)
                + vec16(ext(EXT_SUPPORTED_VERSIONS, u16(0x0304)) + ext(EXT_KEY_SHARE, u16(group))))
        self.conn.send_handshake(SERVER_HELLO, body)

    def server_hello(self, group=SECP256R1, cipher_suite=TLS_AES_128_GCM_SHA256, extra_extensions=b"",
                     share_group=None, key_share=None):
        """ServerHello, then handshake traffic keys both ways. `share_group` names a group in the
        key_share other than the one the keys use (for the group-not-offered case)."""
        share = KeyShare(group)
        peer = self.client_hello.key_shares().get(group)
        extensions = (ext(EXT_SUPPORTED_VERSIONS, u16(0x0304))
                      + ext(EXT_KEY_SHARE, u16(share_group or group) + vec16(key_share or share.public))
                      + extra_extensions)
        body = (u16(0x0303) + os.urandom(32) + vec8(self.client_hello.session_id) + u16(cipher_suite)
                + u8(0) + vec16(extensions))
        self.conn.send_handshake(SERVER_HELLO, body)
        secret = share.shared_secret(peer) if peer else os.urandom(32)
        self.schedule = Tls13Schedule(secret)
        self.client_hs, self.server_hs = self.schedule.handshake_traffic(self.conn.transcript)
        self.conn.write_keys = Tls13Keys(self.server_hs)
        self.conn.read_keys = Tls13Keys(self.client_hs)

    def encrypted_extensions(self, extensions=b""):
        self.conn.send_handshake(ENCRYPTED_EXTENSIONS, vec16(extensions))

    def certificate_request(self):
        schemes = vec16(u16(ECDSA_SECP256R1_SHA256) + u16(0x0503) + u16(0x0804))
        self.conn.send_handshake(CERTIFICATE_REQUEST, vec8(b"") + vec16(ext(EXT_SIG_ALGS, schemes)))

    def certificate(self):
        entries = b"".join(vec24(der) + vec16(b"") for der in self.creds.chain)
        self.conn.send_handshake(CERTIFICATE, vec8(b"") + vec24(entries))

    def certificate_verify(self, scheme=ECDSA_SECP256R1_SHA256, hash_algorithm=hashes.SHA256()):
        signature = self.creds.sign(certificate_verify_input(self.conn.transcript), hash_algorithm)
        self.conn.send_handshake(CERTIFICATE_VERIFY, u16(scheme) + vec16(signature))

    def finished(self):
        self.conn.send_handshake(FINISHED, finished_mac(self.server_hs, self.conn.transcript))
        self.client_ap, self.server_ap = self.schedule.application_traffic(self.conn.transcript)

    def server_flight(self, certificate_request=True):
        self.encrypted_extensions()
        if certificate_request:
            self.certificate_request()
        self.certificate()
        self.certificate_verify()
        self.finished()

    def read_client_flight(self):
        """The device's Certificate, CertificateVerify and Finished (not judged), then application keys."""
        while True:
            message = self.conn.read_handshake()
            if message[0] == FINISHED:
                break
        self.conn.write_keys = Tls13Keys(self.server_ap)
        self.conn.read_keys = Tls13Keys(self.client_ap)

    def handshake(self):
        self.read_client_hello()
        self.server_hello()
        self.server_flight()
        self.read_client_flight()

    def key_update(self, request_update=False):
        """Sends KeyUpdate and moves the server's sending keys on (RFC 8446 4.6.3)."""
        self.conn.send_handshake(KEY_UPDATE, u8(1 if request_update else 0), in_transcript=False)
        self.conn.write_keys = self.conn.write_keys.updated()


# ---------------------------------------------------------------- TLS 1.2 handshake

class Tls12Server:
    """An honest TLS 1.2 ECDHE-ECDSA-AES128-GCM-SHA256 server handshake (full, no resumption)."""

    def __init__(self, conn, creds):
        self.conn, self.creds = conn, creds
        conn.tls12 = True

    def handshake(self, client_hello=None):
        conn = self.conn
        self.client_hello = client_hello or ClientHello(conn.read_handshake())
        server_random = os.urandom(32)
        # Secure renegotiation (RFC 5746): echo an empty renegotiation_info when the client sent one.
        extensions = b""
        if EXT_RENEGOTIATION_INFO in self.client_hello.extensions or 0x00FF in self.client_hello.suites:
            extensions += ext(EXT_RENEGOTIATION_INFO, vec8(b""))
        body = (u16(0x0303) + server_random + vec8(b"") + u16(ECDHE_ECDSA_AES128_GCM_SHA256) + u8(0)
                + (vec16(extensions) if extensions else b""))
        conn.send_handshake(SERVER_HELLO, body)
        conn.send_handshake(CERTIFICATE, vec24(b"".join(vec24(der) for der in self.creds.chain)))
        share = KeyShare(SECP256R1)
        params = u8(3) + u16(SECP256R1) + vec8(share.public)
        signature = self.creds.sign(self.client_hello.random + server_random + params)
        conn.send_handshake(SERVER_KEY_EXCHANGE, params + u16(ECDSA_SECP256R1_SHA256) + vec16(signature))
        conn.send_handshake(SERVER_HELLO_DONE, b"")
        client_key_exchange = conn.read_handshake()
        point = client_key_exchange[5:5 + client_key_exchange[4]]
        pre_master = share.shared_secret(point)
        master = prf12(pre_master, b"master secret", self.client_hello.random + server_random, 48)
        block = prf12(master, b"key expansion", server_random + self.client_hello.random, 40)
        conn.read_keys = Tls12Keys(block[0:16], block[32:36])
        write_keys = Tls12Keys(block[16:32], block[36:40])
        expected = prf12(master, b"client finished", HASH(conn.transcript).digest(), 12)
        finished = conn.read_handshake()  # after the device's CCS, protected
        if finished[4:] != expected:
            raise ValueError("the device's Finished does not verify")
        conn.send_record(CCS, b"\x01")
        conn.write_keys = write_keys
        conn.send_handshake(FINISHED, prf12(master, b"server finished", HASH(conn.transcript).digest(), 12))
