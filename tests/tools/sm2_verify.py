#!/usr/bin/env python3
"""Independent SM2-with-SM3 signature checks for CertHall's tests.

OpenSSL 3.0 cannot verify SM2 self-signed roots, SM2 CRLs or SM2 OCSP responses (it has no
way to pass the user ID there). This script does, with code that shares nothing with
CertHall: curve arithmetic written here in Python, SM3 from the gmssl package, ASN.1 parsing
by asn1crypto. The user ID is the GM/T 0009 default, 1234567812345678.

    sm2_verify.py cert ISSUER TARGET      # TARGET's signature with ISSUER's key (PEM or DER)
    sm2_verify.py crl ISSUER CRL          # a CRL's signature
    sm2_verify.py ocsp ISSUER RESPONSE    # the responder certificate inside RESPONSE is
                                          # checked against ISSUER, the response against it
    sm2_verify.py self-test               # a known-bad signature must fail

Exit status 0 when every signature is valid, 1 otherwise.
"""
import sys

from asn1crypto import algos, crl, ocsp, pem, x509
from gmssl import sm3, func

P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
A = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0
USER_ID = b"1234567812345678"
SM2_WITH_SM3 = "1.2.156.10197.1.501"


def sm3_hash(data: bytes) -> bytes:
    return bytes.fromhex(sm3.sm3_hash(func.bytes_to_list(data)))


def add(p1, p2):
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    (x1, y1), (x2, y2) = p1, p2
    if x1 == x2 and (y1 + y2) % P == 0:
        return None
    if p1 == p2:
        lam = (3 * x1 * x1 + A) * pow(2 * y1, -1, P) % P
    else:
        lam = (y2 - y1) * pow(x2 - x1, -1, P) % P
    x3 = (lam * lam - x1 - x2) % P
    return (x3, (lam * (x1 - x3) - y1) % P)


def mul(k, point):
    result = None
    while k:
        if k & 1:
            result = add(result, point)
        point = add(point, point)
        k >>= 1
    return result


def on_curve(pt):
    x, y = pt
    return (y * y - (x * x * x + A * x + B)) % P == 0


def verify(public_point: bytes, message: bytes, der_signature: bytes) -> bool:
    if len(public_point) != 65 or public_point[0] != 4:
        raise ValueError("public key is not an uncompressed SM2 point")
    x = int.from_bytes(public_point[1:33], "big")
    y = int.from_bytes(public_point[33:], "big")
    if not on_curve((x, y)):
        raise ValueError("public key is not on the SM2 curve")
    sig = algos.DSASignature.load(der_signature).native
    r, s = sig["r"], sig["s"]
    if not (1 <= r < N and 1 <= s < N):
        return False
    z = sm3_hash(
        (len(USER_ID) * 8).to_bytes(2, "big") + USER_ID
        + b"".join(v.to_bytes(32, "big") for v in (A, B, GX, GY, x, y))
    )
    e = int.from_bytes(sm3_hash(z + message), "big")
    t = (r + s) % N
    if t == 0:
        return False
    point = add(mul(s, (GX, GY)), mul(t, (x, y)))
    return point is not None and (e + point[0]) % N == r


def load(path):
    data = open(path, "rb").read()
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    return data


def key_of(cert: x509.Certificate) -> bytes:
    # contents of the BIT STRING: one "unused bits" octet, then the point
    return cert["tbs_certificate"]["subject_public_key_info"]["public_key"].contents[1:]


def check(label, algorithm, key, tbs, signature):
    if algorithm != SM2_WITH_SM3:
        print(f"{label}: signature algorithm is {algorithm}, not SM2-with-SM3")
        return False
    ok = verify(key, tbs, signature)
    print(f"{label}: {'valid' if ok else 'INVALID'} SM2 signature")
    return ok


def main(argv):
    if argv[1:2] == ["self-test"]:
        # A fresh key made here, a signature of ours, then a wrong message: must fail.
        d = 0x3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8
        pub = mul(d, (GX, GY))
        point = b"\x04" + pub[0].to_bytes(32, "big") + pub[1].to_bytes(32, "big")
        msg = b"message digest"
        z = sm3_hash(b"\x00\x80" + USER_ID + b"".join(v.to_bytes(32, "big") for v in (A, B, GX, GY, pub[0], pub[1])))
        e = int.from_bytes(sm3_hash(z + msg), "big")
        k = 0x59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21
        x1 = mul(k, (GX, GY))[0]
        r = (e + x1) % N
        s = pow(1 + d, -1, N) * (k - r * d) % N
        sig = algos.DSASignature({"r": r, "s": s}).dump()
        good = verify(point, msg, sig)
        bad = verify(point, msg + b"!", sig)
        print(f"self-test: good signature {'accepted' if good else 'REJECTED'}, bad signature {'ACCEPTED' if bad else 'rejected'}")
        return 0 if good and not bad else 1
    kind, issuer_path, target_path = argv[1], argv[2], argv[3]
    issuer = x509.Certificate.load(load(issuer_path))
    target = load(target_path)
    if kind == "cert":
        cert = x509.Certificate.load(target)
        ok = check(target_path, cert["signature_algorithm"]["algorithm"].dotted, key_of(issuer),
                   cert["tbs_certificate"].dump(), cert["signature_value"].native)
    elif kind == "crl":
        lst = crl.CertificateList.load(target)
        ok = check(target_path, lst["signature_algorithm"]["algorithm"].dotted, key_of(issuer),
                   lst["tbs_cert_list"].dump(), lst["signature"].native)
    elif kind == "ocsp":
        response = ocsp.OCSPResponse.load(target)
        basic = response["response_bytes"]["response"].parsed
        responder = basic["certs"][0]
        ok = check(target_path + " responder certificate", responder["signature_algorithm"]["algorithm"].dotted,
                   key_of(issuer), responder["tbs_certificate"].dump(), responder["signature_value"].native)
        ok = check(target_path, basic["signature_algorithm"]["algorithm"].dotted, key_of(responder),
                   basic["tbs_response_data"].dump(), basic["signature"].native) and ok
    else:
        print(__doc__)
        return 2
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
