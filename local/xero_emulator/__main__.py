"""python -m local.xero_emulator: the emulator alone, on one port."""

from local.xero_emulator import main

raise SystemExit(main())
