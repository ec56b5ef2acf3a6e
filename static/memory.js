// memory panel of the oipd page
