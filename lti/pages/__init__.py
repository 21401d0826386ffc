"""Page-level read models: what each page shows, shaped from `store` reads for the templates.

Views stay thin (parse, call one function here, render); these functions do the reading and
the shaping, and never commit. Actions that change something live in the `*_actions`
modules and return what the page needs to say.
"""
