"""Admin of the compounds (物业小区): their list, and import/export in the ``import_compounds`` format."""
