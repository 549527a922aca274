"""Reading disclosures: PDF layout (:mod:`.layout`), table grids (:mod:`.grid`), table
recognition and one reader per table family.

Modules here import only the base modules (amounts, classification, vocabulary,
documents' ``Line``, pdf_text), never the loader, the checks or the site.
"""
