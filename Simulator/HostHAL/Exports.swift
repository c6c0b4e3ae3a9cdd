// Importers of HostHAL see the host tools' error type.
@_exported import HostSupport
