"""The Gradio web demo: the UI (app.py), the models behind each tab (zoo.py) and its example photos
(examples/). gradio is imported in app.py and nowhere else in the project; `translate demo` starts it."""
