"""The server's background warm-up (crm.ui.warm_up): what it imports exists, and it starts once."""
import importlib

from crm import ui


def test_every_module_it_warms_exists():
    # the warm-up swallows errors (it is only a head start), so a misspelt name would go unnoticed
    for name in ui.warm_modules():
        assert importlib.import_module(name).__name__ == name


def test_it_starts_one_thread_per_server_process(monkeypatch):
    started = []

    class Thread:
        def __init__(self, target, name, daemon):
            assert target is ui._warm and daemon
            self.name = name

        def start(self):
            started.append(self.name)

    monkeypatch.setattr(ui.threading, "Thread", Thread)
    monkeypatch.setattr(ui, "_warm_started", False)
    ui.warm_up()
    ui.warm_up()
    assert started == ["crm-warm-up"]

