"""Use cases: each public function is one transaction and writes its own audit events."""
