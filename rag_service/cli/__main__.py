from rag_service.cli import app

app()
