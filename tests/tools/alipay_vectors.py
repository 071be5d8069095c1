"""Test vectors for CertHall's Alipay adapter and simulator, made with Alipay's official
Python SDK (`pip install alipay-sdk-python==3.7.1411 rsa`): its `get_sign_content` and
`sign_with_rsa2` over fixed parameters with the test key in
crates/providers/tests/vectors/alipay_merchant_key.pem. RSA PKCS#1 v1.5 signatures are
deterministic, so the Rust code must produce the very same bytes.

    python tests/tools/alipay_vectors.py > crates/providers/tests/vectors/alipay.json

Not run by the test suite (the vectors are committed); run it again only to renew them.
"""
import json
import pathlib
import urllib.parse

from alipay.aop.api.util.SignatureUtils import get_sign_content, sign_with_rsa2

ROOT = pathlib.Path(__file__).resolve().parents[2]
KEY = (ROOT / "crates/providers/tests/vectors/alipay_merchant_key.pem").read_text()
# The SDK wants the key's base64 body (it adds the PEM markers itself).
KEY_BODY = "".join(l for l in KEY.splitlines() if not l.startswith("-----"))


def signed(content):
    return sign_with_rsa2(KEY_BODY, content, "utf-8")


request_params = {
    "app_id": "2021000000000001",
    "method": "alipay.trade.precreate",
    "format": "JSON",
    "charset": "utf-8",
    "sign_type": "RSA2",
    "timestamp": "2026-11-02 10:00:00",
    "version": "1.0",
    "biz_content": json.dumps(
        {"out_trade_no": "PA20261102000001", "total_amount": "260.00", "subject": "CertHall 订单 DD20261102000001", "time_expire": "2026-11-02 12:00:00"},
        ensure_ascii=False,
        separators=(",", ":"),
    ),
}
request_content = get_sign_content(request_params)

# An answer with the spacing Alipay's gateway uses, braces and an escaped quote in a string.
signed_part = '{"code":"10000","msg":"Success","buyer_logon_id":"138****8000","out_trade_no":"PA20261102000001","total_amount":"260.00","trade_no":"2026110222001400001","trade_status":"TRADE_SUCCESS","subject":"a {brace} and \\"quote\\""}'
response_body = '{"alipay_trade_query_response":' + signed_part + ',"sign":"' + signed(signed_part) + '"}'

notice_params = {
    "notify_time": "2026-11-02 10:05:00",
    "notify_type": "trade_status_sync",
    "notify_id": "ac05099524730693a8b330c5ecf72da9786",
    "app_id": "2021000000000001",
    "auth_app_id": "2021000000000001",
    "charset": "utf-8",
    "version": "1.0",
    "trade_no": "2026110222001400001",
    "out_trade_no": "PA20261102000001",
    "seller_id": "2088000000000001",
    "trade_status": "TRADE_SUCCESS",
    "total_amount": "260.00",
    "subject": "CertHall 订单 DD20261102000001",
    "fund_bill_list": '[{"amount":"260.00","fundChannel":"ALIPAYACCOUNT"}]',
    "gmt_payment": "2026-11-02 10:04:59",
    "body": "",
}
# Verification leaves out sign, sign_type and empty values (AlipaySignature.getSignCheckContentV1).
notice_content = get_sign_content({k: v for k, v in notice_params.items() if v})
notice_sign = signed(notice_content)
form = dict(notice_params, sign=notice_sign, sign_type="RSA2")
# quote_plus: spaces as '+', UTF-8 percent-encoded, as Alipay posts it.
notice_body = "&".join(k + "=" + urllib.parse.quote_plus(v) for k, v in form.items())

# The same notice in GBK (an app whose charset is GBK): the content signed as GBK bytes and
# the form percent-encoded in GBK; verification is over the decoded bytes, before any
# transcoding (smartwalle's notify_encoding_test does the same).
gbk_params = dict(notice_params, charset="gbk", notify_id="ac05099524730693a8b330c5ecf72da9787",
                  out_trade_no="PA20261102000002", subject="CertHall 订单 北京环保科技有限公司")
gbk_content = get_sign_content({k: v for k, v in gbk_params.items() if v})
gbk_sign = sign_with_rsa2(KEY_BODY, gbk_content, "gbk")
gbk_form = dict(gbk_params, sign=gbk_sign, sign_type="RSA2")
gbk_body = "&".join(k + "=" + urllib.parse.quote_plus(v, encoding="gbk") for k, v in gbk_form.items())

print(json.dumps({
    "sdk": "alipay-sdk-python 3.7.1411: get_sign_content, sign_with_rsa2",
    "request": {"params": request_params, "sign_content": request_content, "sign": signed(request_content)},
    "response": {"body": response_body, "signed": signed_part},
    "notice": {"body": notice_body, "sign_content": notice_content},
    "notice_gbk": {"body": gbk_body, "sign_content_gbk_hex": gbk_content.encode("gbk").hex()},
}, ensure_ascii=False, indent=2))
