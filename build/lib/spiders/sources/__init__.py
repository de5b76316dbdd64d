"""One module per source; Scrapy finds the spiders here by their `name`."""
