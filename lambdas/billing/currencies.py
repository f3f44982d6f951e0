"""ISO 4217 currencies and their minor units: how many digits follow the decimal point.

Amounts in this workflow are integers in the currency's minor unit ("cents": cents of EUR, yen of
JPY, fils of BHD), so no amount is ever a float. The list holds the active codes of circulating
currencies (ISO 4217 list one, 2025); fund codes (BOV, CHE, USN, ...), precious metals (XAU, ...) and
testing codes (XTS, XXX) are not currencies an invoice can be paid in, and are refused.
"""

from __future__ import annotations

_ZERO_DECIMALS = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF"
_THREE_DECIMALS = "BHD IQD JOD KWD LYD OMR TND"
_TWO_DECIMALS = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD CAD "
    "CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD "
    "HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD "
    "MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON "
    "RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD "
    "TZS UAH USD UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG"
)

MINOR_UNIT_DIGITS: dict[str, int] = {
    **dict.fromkeys(_TWO_DECIMALS.split(), 2),
    **dict.fromkeys(_ZERO_DECIMALS.split(), 0),
    **dict.fromkeys(_THREE_DECIMALS.split(), 3),
}
"""Currency code -> digits after the decimal point."""


def is_currency(code: object) -> bool:
    """Whether ``code`` is an active ISO 4217 currency code (upper case, as ISO writes them)."""
    return isinstance(code, str) and code in MINOR_UNIT_DIGITS


def format_amount(minor_units: int, currency: str) -> str:
    """Show an amount for people, in the currency's own precision, without floating point.

    >>> format_amount(123456, "EUR"), format_amount(1500, "JPY"), format_amount(-5, "BHD")
    ('1234.56 EUR', '1500 JPY', '-0.005 BHD')
    """
    digits = MINOR_UNIT_DIGITS[currency]
    sign = "-" if minor_units < 0 else ""
    whole, fraction = divmod(abs(minor_units), 10**digits)
    shown = f"{whole}.{fraction:0{digits}d}" if digits else str(whole)
    return f"{sign}{shown} {currency}"
