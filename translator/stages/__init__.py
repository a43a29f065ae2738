"""The three model stages (recognition, translation, synthesis) and the speech segmentation that feeds them."""
