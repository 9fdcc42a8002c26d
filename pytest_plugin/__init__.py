"""pytest fixtures that hand cloudtwin's services to tests in other repositories."""
