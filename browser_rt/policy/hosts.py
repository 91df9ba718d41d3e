"""WHATWG host parsing for special (http/https) URLs: IPv4, IPv6 and domains.

The browser's URL parser decides which server `fetch` contacts, so this module follows the
WHATWG URL Standard's host parser. Where it cannot be sure it would give the browser's answer
(some internationalized labels), it fails and the request is denied.
"""

from __future__ import annotations

import re
import unicodedata

import idna

_HEX = frozenset("0123456789abcdefABCDEF")
_DIGITS = frozenset("0123456789")
_OCTAL = frozenset("01234567")
_FORBIDDEN_DOMAIN = re.compile(r"[\x00-\x20#%/:<>?@\[\\\]^|\x7f]")
_ENDS_IN_A_NUMBER = re.compile(r"(?:^|\.)(?:[0-9]+|0[xX][0-9A-Fa-f]*)\.?\Z")
"""WHATWG "ends in a number": the last label (before an optional trailing dot) is numeric."""
_RTL_BIDI_CLASSES = frozenset({"R", "AL", "AN"})
_JOINERS = frozenset({"\u200c", "\u200d"})


class HostError(ValueError):
    """The host is not one the browser would parse the same way (or at all)."""


def parse_host(text: str) -> str:
    """Return the serialized host the WHATWG parser gives for a special URL's host text."""
    if text.startswith("["):
        if not text.endswith("]"):
            raise HostError("IPv6 address is missing its closing bracket")
        return "[" + serialize_ipv6(parse_ipv6(text[1:-1])) + "]"
    domain = _percent_decode_utf8(text)
    ascii_domain = domain_to_ascii(domain)
    if _FORBIDDEN_DOMAIN.search(ascii_domain):
        raise HostError("host contains a forbidden code point")
    if "*" in ascii_domain:
        # The URL Standard keeps it (so do WebKit and Node); Chromium and Firefox write %2A.
        raise HostError("host contains '*', which browsers serialize differently")
    if _ENDS_IN_A_NUMBER.search(ascii_domain):
        return serialize_ipv4(parse_ipv4(ascii_domain))
    return ascii_domain


def _percent_decode_utf8(text: str) -> str:
    if "%" not in text:
        return text
    out = bytearray()
    i = 0
    raw = text.encode("utf-8", "surrogatepass")
    while i < len(raw):
        byte = raw[i]
        if byte == 0x25 and i + 2 < len(raw) + 0 and _is_hex_pair(raw[i + 1 : i + 3]):
            out.append(int(raw[i + 1 : i + 3], 16))
            i += 3
            continue
        out.append(byte)
        i += 1
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HostError("percent-encoded host is not valid UTF-8") from exc


def _is_hex_pair(pair: bytes) -> bool:
    return len(pair) == 2 and all(chr(b) in _HEX for b in pair)


def domain_to_ascii(domain: str) -> str:
    """UTS-46 ToASCII as WHATWG runs it (non-transitional, no STD3 rules, no DNS length check)."""
    if domain.isascii() and "xn--" not in domain.lower():
        result = domain.lower()
    else:
        try:
            mapped = idna.uts46_remap(domain, std3_rules=False, transitional=False)
        except (idna.IDNAError, ValueError) as exc:
            raise HostError("host has a code point UTS-46 does not allow") from exc
        result = ".".join(_label_to_ascii(label) for label in mapped.split("."))
    if not result:
        raise HostError("host is empty")
    return result


def _label_to_ascii(label: str) -> str:
    if label.lower().startswith("xn--"):
        return _checked_ace_label(label.lower())
    if label.isascii():
        return label
    _check_unicode_label(label)
    return "xn--" + label.encode("punycode").decode("ascii")


def _check_unicode_label(label: str) -> None:
    """Validity criteria; bidi and joiner labels are refused outright rather than guessed.

    Code points this Python's Unicode database does not know are refused too: browsers and the
    `idna` tables may be on other Unicode versions, and a guess could name another host.
    """
    if any(unicodedata.category(ch) == "Cn" for ch in label):
        raise HostError("host label has a code point unassigned in this Unicode version")
    if not unicodedata.is_normalized("NFC", label):
        raise HostError("host label is not in NFC")
    if unicodedata.category(label[0]).startswith("M"):
        raise HostError("host label starts with a combining mark")
    if any(ch in _JOINERS for ch in label):
        raise HostError("host label has a zero-width joiner")
    if any(unicodedata.bidirectional(ch) in _RTL_BIDI_CLASSES for ch in label):
        raise HostError("host label has right-to-left characters")


def _checked_ace_label(label: str) -> str:
    """An `xn--` label must decode to a valid non-ASCII label that encodes back to itself."""
    try:
        decoded = label[4:].encode("ascii").decode("punycode")
    except (UnicodeError, ValueError) as exc:
        raise HostError("host has an invalid punycode label") from exc
    if not decoded or decoded.isascii():
        raise HostError("host has a punycode label that decodes to ASCII")
    try:
        remapped = idna.uts46_remap(decoded, std3_rules=False, transitional=False)
    except (idna.IDNAError, ValueError) as exc:
        raise HostError("host has a punycode label with disallowed code points") from exc
    if remapped != decoded or "." in decoded:
        raise HostError("host has a punycode label that is not in mapped form")
    _check_unicode_label(decoded)
    if "xn--" + decoded.encode("punycode").decode("ascii") != label:
        raise HostError("host has a punycode label that does not round-trip")
    return label


def _parse_ipv4_number(part: str) -> int:
    if part == "":
        raise HostError("empty IPv4 part")
    radix, digits = 10, _DIGITS
    if part[:2] in ("0x", "0X"):
        part, radix, digits = part[2:], 16, _HEX
    elif len(part) > 1 and part[0] == "0":
        part, radix, digits = part[1:], 8, _OCTAL
    if part == "":
        return 0
    if not all(ch in digits for ch in part):
        raise HostError("IPv4 part is not a number")
    return int(part, radix)


def parse_ipv4(domain: str) -> int:
    """The WHATWG IPv4 parser: 1-4 parts, each decimal, 0x-hex or 0-octal."""
    parts = domain.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if len(parts) > 4:
        raise HostError("IPv4 address has more than four parts")
    numbers = [_parse_ipv4_number(p) for p in parts]
    if any(n > 255 for n in numbers[:-1]):
        raise HostError("IPv4 part out of range")
    if numbers[-1] >= 256 ** (5 - len(numbers)):
        raise HostError("IPv4 address out of range")
    address = numbers[-1]
    for index, number in enumerate(numbers[:-1]):
        address += number * 256 ** (3 - index)
    return address


def serialize_ipv4(address: int) -> str:
    return ".".join(str((address >> shift) & 0xFF) for shift in (24, 16, 8, 0))


def parse_ipv6(text: str) -> list[int]:
    """The WHATWG IPv6 parser (compression, embedded IPv4); zone ids are not allowed."""
    address = [0] * 8
    piece_index = 0
    compress: int | None = None
    pointer = 0
    length_of_text = len(text)

    def at(i: int) -> str:
        return text[i] if i < length_of_text else ""

    if at(0) == ":":
        if at(1) != ":":
            raise HostError("IPv6 address starts with a single colon")
        pointer = 2
        piece_index = 1
        compress = piece_index
    while pointer < length_of_text:
        if piece_index == 8:
            raise HostError("IPv6 address has too many pieces")
        if at(pointer) == ":":
            if compress is not None:
                raise HostError("IPv6 address has more than one ::")
            pointer += 1
            piece_index += 1
            compress = piece_index
            continue
        value = length = 0
        while length < 4 and at(pointer) != "" and at(pointer) in _HEX:
            value = value * 16 + int(at(pointer), 16)
            pointer += 1
            length += 1
        if at(pointer) == ".":
            if length == 0 or piece_index > 6:
                raise HostError("IPv6 address has a misplaced IPv4 part")
            pointer -= length
            numbers_seen = 0
            while pointer < length_of_text:
                ipv4_piece: int | None = None
                if numbers_seen > 0:
                    if at(pointer) == "." and numbers_seen < 4:
                        pointer += 1
                    else:
                        raise HostError("IPv6 address has a bad IPv4 part")
                if at(pointer) == "" or at(pointer) not in _DIGITS:
                    raise HostError("IPv6 address has a bad IPv4 part")
                while at(pointer) != "" and at(pointer) in _DIGITS:
                    number = int(at(pointer))
                    if ipv4_piece is None:
                        ipv4_piece = number
                    elif ipv4_piece == 0:
                        raise HostError("IPv6 address has an IPv4 part with a leading zero")
                    else:
                        ipv4_piece = ipv4_piece * 10 + number
                    if ipv4_piece > 255:
                        raise HostError("IPv6 address has an IPv4 part out of range")
                    pointer += 1
                address[piece_index] = address[piece_index] * 0x100 + (ipv4_piece or 0)
                numbers_seen += 1
                if numbers_seen in (2, 4):
                    piece_index += 1
            if numbers_seen != 4:
                raise HostError("IPv6 address has an incomplete IPv4 part")
            break
        if at(pointer) == ":":
            pointer += 1
            if pointer >= length_of_text:
                raise HostError("IPv6 address ends with a single colon")
        elif pointer < length_of_text:
            raise HostError("IPv6 address has an invalid character")
        address[piece_index] = value
        piece_index += 1
    if compress is not None:
        swaps = piece_index - compress
        piece_index = 7
        while piece_index != 0 and swaps > 0:
            other = compress + swaps - 1
            address[piece_index], address[other] = address[other], address[piece_index]
            piece_index -= 1
            swaps -= 1
    elif piece_index != 8:
        raise HostError("IPv6 address is too short")
    return address


def serialize_ipv6(address: list[int]) -> str:
    """Lower-case hex pieces, with the first longest run of two or more zeros as '::'."""
    best_start, best_len, run_start, run_len = -1, 1, -1, 0
    for index, piece in enumerate(address):
        if piece == 0:
            if run_len == 0:
                run_start = index
            run_len += 1
            if run_len > best_len:
                best_start, best_len = run_start, run_len
        else:
            run_len = 0
    out = []
    index = 0
    while index < 8:
        if index == best_start:
            out.append("::" if index == 0 else ":")
            index += best_len
            continue
        out.append(format(address[index], "x") + (":" if index < 7 else ""))
        index += 1
    return "".join(out)
