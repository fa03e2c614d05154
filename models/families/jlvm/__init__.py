from .config import JLVMConfig
from .labels import LabelTable, oracle_table
from .model import JLVM

__all__ = ["JLVM", "JLVMConfig", "LabelTable", "oracle_table"]
