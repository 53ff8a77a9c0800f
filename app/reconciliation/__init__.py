"""Reconciliation against WeChat Pay's daily trade bill (DESIGN §8): the bill's parser (`bill.py`), the comparison
(`compare.py`), a day's run (`service.py`), the daily job (`jobs.py`), the admin API (`admin_routes.py`) and the
command (`command.py`)."""
