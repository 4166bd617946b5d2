"""The content layer: prompt-injection scanning of what an agent reads, and the response."""

from bastion.content.model import Category, ContentFinding, ContentReport, Severity
from bastion.content.scanner import Scanner

__all__ = ["Category", "ContentFinding", "ContentReport", "Scanner", "Severity"]
