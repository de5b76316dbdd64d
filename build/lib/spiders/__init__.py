"""Scrapy spiders that collect funding calls, one module per source slug."""
