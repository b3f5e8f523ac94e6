"""What the tests share, and only helpers (fixtures are in conftest.py files): where they run
and the databases (env), the rows they make (factories), the hostile text corpus (hostile), the
screens under AppTest (pages), the export files and the HTTP routes (exports), the steps in a real
browser (browser), a free port for a server a test starts (ports). No test module imports
another test module or a conftest.py (tests/test_layout_of_tests.py)."""
