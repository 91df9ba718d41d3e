"""Host-side tooling (bundle builder, servers, CSP). Never imported inside Pyodide."""
