"""Tables, queries, the unit of work and migrations. The only package that speaks SQL."""
