"""Storage adapters: the only part of `domain/` that touches a database or a file.

    keystore.py       the data keys' table (wrapped under the master key; erasure)
    positions.py      an aggregate's position in the application log (one query)
    pgrecorder.py     the PostgreSQL recorder that fails fast and reconnects
    private_files.py  files only their owner may read (the store, its keys, exports)

The model modules (aggregate, events, values, access, ciphers, rules) never import this
package: they receive what it provides as values. `domain/application.py`, the application
service, composes the key store, the recorder and the positions; `domain/rotation.py`
rewraps the key store's rows. `ops/` and `projections/` use the private files and locks.
"""
