// @ts-check
/**
 * FetchAuthority in JavaScript: the default-deny fetch policy of docs/policy.md.
 *
 * This is the entry point; the policy lives in ./policy/, one module per concern, named as the
 * modules of browser_rt/policy/ (Python) are where a concern exists on both sides:
 *
 *   errors.mjs     deny reasons, PolicyError, how messages quote a value   (errors.py)
 *   request.mjs    a request's shape, and the Decision                     (request.py)
 *   authority.mjs  FetchAuthority: loading, narrowing, authorize           (authority.py)
 *   grants.mjs     exact and wildcard origin grants                        (grants.py)
 *   urls.mjs       the origin a URL names, through the platform's URL      (urls.py)
 *   hosts.mjs      the hosts Python refuses, refused here too              (hosts.py)
 *   headers.mjs    header names and values                                 (headers.py)
 *   methods.mjs    methods                                                 (methods.py)
 *
 * and JS-only helpers: fields.mjs (each field of a policy document; in authority.py on the
 * Python side), policy_json.mjs (strict JSON text parsing), json_values.mjs, unicode_text.mjs,
 * percent_decode.mjs, right_to_left.mjs, plus the vendored Punycode (../vendor/).
 *
 * The fetch bridge re-checks every request with this module before it calls `fetch`. It makes
 * the same decisions as `browser_rt.policy` on the shared conformance vectors
 * (tests/vectors/fetch_policy.json) and gives the same PolicyError messages
 * (tests/vectors/policy_errors.json).
 *
 * Plain ES modules, imported by relative path, no build step.
 */
export { DenyReason, PolicyError } from "./policy/errors.mjs";
export { FetchAuthority, canonicalOrigin } from "./policy/authority.mjs";
