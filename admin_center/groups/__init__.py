"""The admin center's Groups section: groups of customers and their members."""
