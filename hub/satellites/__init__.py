"""The satellite controller: the hub drives Wyoming satellites itself (standalone mode)."""
