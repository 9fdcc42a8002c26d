"""The HTTP side of the emulator: server, gateway routing, admin API."""
