"""지역뉴스 태거: tags Korean local news with a category and the local government it is about."""
