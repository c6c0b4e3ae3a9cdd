/// The object identifiers the core looks for, as their DER content bytes.
enum OID {
    // Extensions (id-ce).
    static let subjectAltName: [UInt8] = [0x55, 0x1D, 0x11]  // 2.5.29.17
    static let keyUsage: [UInt8] = [0x55, 0x1D, 0x0F]  // 2.5.29.15
    static let basicConstraints: [UInt8] = [0x55, 0x1D, 0x13]  // 2.5.29.19
    static let extendedKeyUsage: [UInt8] = [0x55, 0x1D, 0x25]  // 2.5.29.37
    static let certificatePolicies: [UInt8] = [0x55, 0x1D, 0x20]  // 2.5.29.32

    // Key purposes (id-kp).
    static let serverAuth: [UInt8] = [0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01]  // 1.3.6.1.5.5.7.3.1
    static let clientAuth: [UInt8] = [0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02]  // 1.3.6.1.5.5.7.3.2

    // Name attributes.
    static let commonName: [UInt8] = [0x55, 0x04, 0x03]  // 2.5.4.3
    static let serialNumber: [UInt8] = [0x55, 0x04, 0x05]  // 2.5.4.5
    static let country: [UInt8] = [0x55, 0x04, 0x06]
    static let locality: [UInt8] = [0x55, 0x04, 0x07]
    static let stateOrProvince: [UInt8] = [0x55, 0x04, 0x08]
    static let organization: [UInt8] = [0x55, 0x04, 0x0A]
    static let organizationalUnit: [UInt8] = [0x55, 0x04, 0x0B]

    // Public key algorithms.
    static let ecPublicKey: [UInt8] = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01]  // 1.2.840.10045.2.1
    static let rsaEncryption: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01]  // 1.2.840.113549.1.1.1
    static let prime256v1: [UInt8] = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]  // 1.2.840.10045.3.1.7
    static let secp384r1: [UInt8] = [0x2B, 0x81, 0x04, 0x00, 0x22]  // 1.3.132.0.34
}
