"""The landscape: UMAP layout, topics and their labels, the Plotly figure and its HTML page."""
