"""factorscope backend: the HTTP API and the job worker; the only side that owns the device."""
