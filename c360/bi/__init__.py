"""What BI tools get from c360: the starter Metabase dashboard over schema `published`."""
