// Importers of TCUPKI see the host tools' error type.
@_exported import HostSupport
