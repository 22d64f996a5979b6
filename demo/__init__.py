"""The demo company, loaded through the applications' own commands (not HTTP).

``opsledger serve --demo`` loads it: customers and complaints, budgets, people
and the risk register, each re-runnable without writing twice.
"""

from demo.budgets import load_budgets_demo
from demo.company import DemoSummary, load_demo
from demo.employees import load_employees_demo
from demo.risks import load_risks_demo

__all__ = [
    "DemoSummary",
    "load_budgets_demo",
    "load_demo",
    "load_employees_demo",
    "load_risks_demo",
]
