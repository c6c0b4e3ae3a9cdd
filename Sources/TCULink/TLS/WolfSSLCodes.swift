import CWolfSSL

// wolfSSL's error numbers come into Swift as two kinds: the TLS layer's as an
// enum (`wolfSSL_ErrorCodes`), wolfCrypt's and the API's as plain integers.
// These overloads give both as the Int32 the C functions return.

@inline(__always) func wolfCode(_ code: wolfSSL_ErrorCodes) -> Int32 { code.rawValue }
@inline(__always) func wolfCode(_ code: Int) -> Int32 { Int32(truncatingIfNeeded: code) }
