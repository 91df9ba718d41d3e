// @ts-check
/**
 * Which code points are right-to-left (Unicode Bidi_Class R, AL or AN), so that host labels
 * holding one can be refused as Python refuses them. JS-only: Python asks
 * `unicodedata.bidirectional`; JavaScript has no Bidi_Class property in its regular expressions.
 */

/**
 * Code points whose Unicode Bidi_Class is R, AL or AN (Unicode 15.1, as Python's
 * `unicodedata.bidirectional` reports them). A host label holding one of them is refused: the
 * Python side refuses right-to-left labels outright instead of reimplementing the Bidi Rule.
 */
const RTL_RANGES_TEXT =
  "5be 5c0 5c3 5c6 5d0-5ea 5ef-5f4 600-605 608 60b 60d 61b-64a 660-669 66b-66f 671-6d5 6dd " +
  "6e5-6e6 6ee-6ef 6fa-70d 70f-710 712-72f 74d-7a5 7b1 7c0-7ea 7f4-7f5 7fa 7fe-815 81a 824 828 " +
  "830-83e 840-858 85e 860-86a 870-88e 890-891 8a0-8c9 8e2 200f fb1d fb1f-fb28 fb2a-fb36 " +
  "fb38-fb3c fb3e fb40-fb41 fb43-fb44 fb46-fbc2 fbd3-fd3d fd50-fd8f fd92-fdc7 fdf0-fdfc " +
  "fe70-fe74 fe76-fefc 10800-10805 10808 1080a-10835 10837-10838 1083c 1083f-10855 10857-1089e " +
  "108a7-108af 108e0-108f2 108f4-108f5 108fb-1091b 10920-10939 1093f 10980-109b7 109bc-109cf " +
  "109d2-10a00 10a10-10a13 10a15-10a17 10a19-10a35 10a40-10a48 10a50-10a58 10a60-10a9f " +
  "10ac0-10ae4 10aeb-10af6 10b00-10b35 10b40-10b55 10b58-10b72 10b78-10b91 10b99-10b9c " +
  "10ba9-10baf 10c00-10c48 10c80-10cb2 10cc0-10cf2 10cfa-10d23 10d30-10d39 10e60-10e7e " +
  "10e80-10ea9 10ead 10eb0-10eb1 10f00-10f27 10f30-10f45 10f51-10f59 10f70-10f81 10f86-10f89 " +
  "10fb0-10fcb 10fe0-10ff6 1e800-1e8c4 1e8c7-1e8cf 1e900-1e943 1e94b 1e950-1e959 1e95e-1e95f " +
  "1ec71-1ecb4 1ed01-1ed3d 1ee00-1ee03 1ee05-1ee1f 1ee21-1ee22 1ee24 1ee27 1ee29-1ee32 " +
  "1ee34-1ee37 1ee39 1ee3b 1ee42 1ee47 1ee49 1ee4b 1ee4d-1ee4f 1ee51-1ee52 1ee54 1ee57 1ee59 " +
  "1ee5b 1ee5d 1ee5f 1ee61-1ee62 1ee64 1ee67-1ee6a 1ee6c-1ee72 1ee74-1ee77 1ee79-1ee7c 1ee7e " +
  "1ee80-1ee89 1ee8b-1ee9b 1eea1-1eea3 1eea5-1eea9 1eeab-1eebb ";

/** @type {Uint32Array} */
const RTL_RANGES = (() => {
  const parts = RTL_RANGES_TEXT.trim().split(/\s+/);
  const out = new Uint32Array(parts.length * 2);
  parts.forEach((part, index) => {
    const [start, end = start] = part.split("-");
    out[index * 2] = parseInt(start, 16);
    out[index * 2 + 1] = parseInt(end, 16);
  });
  return out;
})();

/** @param {number} cp */
export function isRightToLeft(cp) {
  let low = 0;
  let high = RTL_RANGES.length / 2 - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (cp < RTL_RANGES[mid * 2]) high = mid - 1;
    else if (cp > RTL_RANGES[mid * 2 + 1]) low = mid + 1;
    else return true;
  }
  return false;
}
