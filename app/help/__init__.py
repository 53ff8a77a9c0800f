"""Help (DESIGN.md §7): answers per error code for shoppers, edited by operators."""
