// Importers of TCUBackend see the host tools' error type.
@_exported import HostSupport
